//! Records (define-record-type), promises (delay, make-promise), parameter objects
//! (make-parameter), continuations and multiple values: the data behind the derived forms and
//! control procedures, and their primitives. `force` and `parameterize`'s conversion are Scheme
//! code in library.rs; the control transfers themselves are in eval.rs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::builtins::{index, prim, type_error, ANY};
use crate::eval::{Interp, Primitive, Special};
use crate::value::{fail, list_from_vec, release_all, Symbol, Value, R};

pub struct RecordType {
    pub name: String,
    pub fields: Vec<Symbol>,
}

pub struct Record {
    pub rtype: Rc<RecordType>,
    pub fields: RefCell<Vec<Value>>,
}

impl Drop for Record {
    fn drop(&mut self) {
        release_all(self.fields.get_mut());
    }
}

/// R7RS's promise: a box shared with the promises a `delay-force` chain hands over to, so
/// forcing a long chain runs in constant space.
pub struct Promise {
    pub boxed: RefCell<Rc<PromiseBox>>,
}

pub struct PromiseBox {
    pub done: Cell<bool>,
    /// The value once done; before, the thunk that computes (a promise for) it.
    pub value: RefCell<Value>,
}

pub struct Param {
    pub value: RefCell<Value>,
    pub converter: Value,
}

/// An escape-only continuation: valid while its `call/cc` has not returned.
pub struct Cont {
    pub valid: Cell<bool>,
}

/// A primitive the evaluator carries out itself (eval.rs, `Interp::control`).
macro_rules! special {
    ($name:expr, $min:expr, $max:expr, $special:expr) => {
        Primitive { name: $name, min_args: $min, max_args: $max, func: |_, _| fail("internal error: control primitive"), special: $special }
    };
}

pub static PRIMS: &[Primitive] = &[
    prim!("values", 0, ANY, |_, a| Ok(crate::eval::values(a.to_vec()))),
    prim!("%values->list", 1, Some(1), |_, a| Ok(match &a[0] {
        Value::Values(v) => list_from_vec(v.0.clone()),
        other => list_from_vec(vec![other.clone()]),
    })),
    special!("call/cc", 1, Some(1), Special::CallCC),
    special!("call-with-current-continuation", 1, Some(1), Special::CallCC),
    special!("call/ec", 1, Some(1), Special::CallCC),
    special!("call-with-escape-continuation", 1, Some(1), Special::CallCC),
    special!("dynamic-wind", 3, Some(3), Special::DynamicWind),
    special!("with-exception-handler", 2, Some(2), Special::WithHandler),
    special!("raise-continuable", 1, Some(1), Special::RaiseContinuable),
    special!("%with-parameters", 3, Some(3), Special::WithParameters),
    prim!("%make-record", 1, ANY, |_, a| match &a[0] {
        Value::RecordType(t) => Ok(Value::Record(Rc::new(Record { rtype: t.clone(), fields: RefCell::new(a[1..].to_vec()) }))),
        other => type_error("%make-record", "a record type", other),
    }),
    prim!("%record-of?", 2, Some(2), |_, a| Ok(Value::Bool(match (&a[0], &a[1]) {
        (Value::Record(r), Value::RecordType(t)) => Rc::ptr_eq(&r.rtype, t),
        _ => false,
    }))),
    prim!("%record-ref", 4, Some(4), |_, a| {
        let r = record(&a[0], &a[1], &a[3])?;
        let i = index("%record-ref", &a[2])?;
        let fields = r.fields.borrow();
        Ok(fields.get(i).cloned().unwrap_or(Value::Bool(false)))
    }),
    prim!("%record-set!", 5, Some(5), |_, a| {
        let r = record(&a[0], &a[1], &a[4])?;
        let i = index("%record-set!", &a[2])?;
        let old = r.fields.borrow_mut().get_mut(i).map(|slot| std::mem::replace(slot, a[3].clone()));
        drop(old);
        Ok(Value::Unspecified)
    }),
    prim!("record?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Record(_))))),
    prim!("make-promise", 1, Some(1), |_, a| Ok(match &a[0] {
        p @ Value::Promise(_) => p.clone(),
        v => promise(true, v.clone()),
    })),
    prim!("%make-lazy-promise", 1, Some(1), |_, a| Ok(promise(false, a[0].clone()))),
    prim!("promise?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Promise(_))))),
    prim!("%promise-done?", 1, Some(1), |_, a| Ok(Value::Bool(the_promise(&a[0])?.boxed.borrow().done.get()))),
    prim!("%promise-value", 1, Some(1), |_, a| Ok(the_promise(&a[0])?.boxed.borrow().value.borrow().clone())),
    // (%promise-update! new old): old takes new's state, and new shares old's box from now on.
    prim!("%promise-update!", 2, Some(2), |_, a| {
        let (new, old) = (the_promise(&a[0])?, the_promise(&a[1])?);
        let new_box = new.boxed.borrow().clone();
        let old_box = old.boxed.borrow().clone();
        old_box.done.set(new_box.done.get());
        let value = new_box.value.borrow().clone();
        drop(old_box.value.replace(value));
        *new.boxed.borrow_mut() = old_box;
        Ok(Value::Unspecified)
    }),
    prim!("%make-parameter", 2, Some(2), |_, a| Ok(Value::Param(Rc::new(Param {
        value: RefCell::new(a[0].clone()),
        converter: a[1].clone(),
    })))),
    prim!("%parameter-converter", 1, Some(1), |i, a| Ok(parameter(i, &a[0])?.converter.clone())),
    prim!("%parameter-object", 1, Some(1), |i, a| Ok(Value::Param(parameter(i, &a[0])?))),
    prim!("%procedure-accepts?", 2, Some(2), |_, a| {
        let n = index("%procedure-accepts?", &a[1])?;
        Ok(Value::Bool(match &a[0] {
            Value::Closure(c) => n == c.info.required || (c.info.rest && n > c.info.required),
            Value::Prim(p) => n >= p.min_args && p.max_args.map_or(true, |m| n <= m),
            _ => true,
        }))
    }),
];

fn promise(done: bool, value: Value) -> Value {
    Value::Promise(Rc::new(Promise {
        boxed: RefCell::new(Rc::new(PromiseBox { done: Cell::new(done), value: RefCell::new(value) })),
    }))
}

fn the_promise(v: &Value) -> R<&Rc<Promise>> {
    match v {
        Value::Promise(p) => Ok(p),
        other => type_error("force", "a promise", other),
    }
}

fn record<'a>(v: &'a Value, rtype: &Value, who: &Value) -> R<&'a Rc<Record>> {
    let who = match who {
        Value::Sym(s) => s.name().to_string(),
        _ => "record accessor".to_string(),
    };
    match (v, rtype) {
        (Value::Record(r), Value::RecordType(t)) if Rc::ptr_eq(&r.rtype, t) => Ok(r),
        (_, Value::RecordType(t)) => type_error(&who, &format!("a {} record", t.name), v),
        _ => type_error(&who, "a record", v),
    }
}

/// A parameter object; `current-output-port` stands for the interpreter's output parameter.
fn parameter(interp: &Interp, v: &Value) -> R<Rc<Param>> {
    match v {
        Value::Param(p) => Ok(p.clone()),
        Value::Prim(p) if p.name == "current-output-port" => Ok(interp.output.clone()),
        other => type_error("parameterize", "a parameter", other),
    }
}
