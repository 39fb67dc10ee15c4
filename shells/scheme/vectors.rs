//! Vectors: construction, access, ranges (start/end arguments as in R7RS), in-place updates
//! and conversions. The higher-order ones (vector-map, vector-for-each) are in library.rs.

use std::rc::Rc;

use crate::builtins::{index, make_list, prim, type_error, ANY};
use crate::eval::{Interp, Primitive};
use crate::value::{check_mutable, fail, list_to_vec, reserve_n, vec_with_capacity, Value, Vector, R};

const VALUE_BYTES: usize = std::mem::size_of::<Value>();

pub static PRIMS: &[Primitive] = &[
    prim!("vector?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Vector(_))))),
    prim!("make-vector", 1, Some(2), |_, a| {
        let n = index("make-vector", &a[0])?;
        let mut items = vec_with_capacity(n)?;
        items.resize(n, a.get(1).cloned().unwrap_or(Value::Int(0)));
        Ok(Vector::new(items))
    }),
    prim!("vector", 0, ANY, |_, a| {
        reserve_n(a.len(), VALUE_BYTES)?;
        Ok(Vector::new(a.to_vec()))
    }),
    prim!("vector-length", 1, Some(1), |_, a| Ok(Value::Int(vector("vector-length", &a[0])?.items.borrow().len() as i64))),
    prim!("vector-ref", 2, Some(2), |_, a| {
        let v = vector("vector-ref", &a[0])?;
        let k = index("vector-ref", &a[1])?;
        let items = v.items.borrow();
        match items.get(k) {
            Some(x) => Ok(x.clone()),
            None => fail(format!("vector-ref: index {} is out of range for a vector of length {}", k, items.len())),
        }
    }),
    prim!("vector-set!", 3, Some(3), |_, a| {
        check_mutable("vector-set!", &a[0])?;
        let v = vector("vector-set!", &a[0])?;
        let k = index("vector-set!", &a[1])?;
        let old = {
            let mut items = v.items.borrow_mut();
            let len = items.len();
            match items.get_mut(k) {
                Some(slot) => std::mem::replace(slot, a[2].clone()),
                None => return fail(format!("vector-set!: index {} is out of range for a vector of length {}", k, len)),
            }
        };
        drop(old);
        Ok(Value::Unspecified)
    }),
    prim!("vector->list", 1, Some(3), |_, a| {
        let items = range("vector->list", a)?;
        make_list(items)
    }),
    prim!("list->vector", 1, Some(1), list_to_vector),
    prim!("vector-fill!", 2, Some(4), |_, a| {
        check_mutable("vector-fill!", &a[0])?;
        let v = vector("vector-fill!", &a[0])?;
        let (start, end) = bounds("vector-fill!", "vector", v.items.borrow().len(), a.get(2), a.get(3))?;
        let old: Vec<Value> = {
            let mut items = v.items.borrow_mut();
            items.splice(start..end, std::iter::repeat(a[1].clone()).take(end - start)).collect()
        };
        drop(old);
        Ok(Value::Unspecified)
    }),
    prim!("vector-copy!", 3, Some(5), |_, a| {
        check_mutable("vector-copy!", &a[0])?;
        let to = vector("vector-copy!", &a[0])?;
        let at = index("vector-copy!", &a[1])?;
        let items = range("vector-copy!", &a[2..])?;
        let len = to.items.borrow().len();
        if at > len || items.len() > len - at {
            return fail(format!("vector-copy!: {} elements do not fit at {} in a vector of length {}", items.len(), at, len));
        }
        let n = items.len();
        let old: Vec<Value> = to.items.borrow_mut().splice(at..at + n, items).collect();
        drop(old);
        Ok(Value::Unspecified)
    }),
    prim!("vector->string", 1, Some(3), |_, a| {
        let mut out = String::new();
        for v in range("vector->string", a)? {
            out.push(crate::builtins::character("vector->string", &v)?);
        }
        Ok(Value::str(out))
    }),
    prim!("string->vector", 1, Some(3), |_, a| {
        let s = crate::strings::sub("string->vector", &a[0], a.get(1), a.get(2))?;
        reserve_n(s.len(), VALUE_BYTES)?;
        Ok(Vector::new(s.chars().map(Value::Char).collect()))
    }),
    prim!("vector-copy", 1, Some(3), |_, a| {
        let items = range("vector-copy", a)?;
        reserve_n(items.len(), VALUE_BYTES)?;
        Ok(Vector::new(items))
    }),
    prim!("vector-append", 0, ANY, |_, a| {
        let mut items = Vec::new();
        for v in a {
            items.extend(vector("vector-append", v)?.items.borrow().iter().cloned());
        }
        reserve_n(items.len(), VALUE_BYTES)?;
        Ok(Vector::new(items))
    }),
];

fn vector<'a>(who: &str, v: &'a Value) -> R<&'a Rc<Vector>> {
    match v {
        Value::Vector(vec) => Ok(vec),
        _ => type_error(who, "a vector", v),
    }
}

/// `[start, end)` from optional arguments, checked against `len`.
pub fn bounds(who: &str, what: &str, len: usize, start: Option<&Value>, end: Option<&Value>) -> R<(usize, usize)> {
    let start = match start {
        Some(v) => index(who, v)?,
        None => 0,
    };
    let end = match end {
        Some(v) => index(who, v)?,
        None => len,
    };
    if start > end || end > len {
        return fail(format!("{}: range {} to {} is outside a {} of length {}", who, start, end, what, len));
    }
    Ok((start, end))
}

/// The elements `(proc vector [start [end]])` selects.
fn range(who: &str, a: &[Value]) -> R<Vec<Value>> {
    let items = vector(who, &a[0])?.items.borrow();
    let (start, end) = bounds(who, "vector", items.len(), a.get(1), a.get(2))?;
    let mut out = vec_with_capacity(end - start)?;
    out.extend_from_slice(&items[start..end]);
    Ok(out)
}

pub fn list_to_vector(_: &mut Interp, a: &[Value]) -> R<Value> {
    let items = list_to_vec("list->vector", &a[0])?;
    reserve_n(items.len(), VALUE_BYTES)?;
    Ok(Vector::new(items))
}
