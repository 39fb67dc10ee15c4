//! Bindings to the host's shared state: the key-value store, the tenant counter, the caller's
//! identity and the application's fields and actions. A host refusal (permission denied, rate limited, ...)
//! becomes a Scheme error naming the procedure, e.g. "kv-set!: permission denied".

use opshell_guest as guest;

use crate::builtins::{int, make_list, prim, string, type_error};
use crate::eval::Primitive;
use crate::printer::display_string;
use crate::value::{cons, fail, Value, R};

pub static PRIMS: &[Primitive] = &[
    prim!("kv-get", 1, Some(1), |_, a| {
        let key = key("kv-get", &a[0])?;
        Ok(match host("kv-get", guest::kv_get(&key))? {
            Some(value) => Value::str(value),
            None => Value::Bool(false),
        })
    }),
    prim!("kv-set!", 2, Some(2), |_, a| {
        let key = key("kv-set!", &a[0])?;
        let value = match &a[1] {
            Value::Str(s) => s.borrow().clone(),
            v @ (Value::Int(_) | Value::Real(_) | Value::Sym(_) | Value::Char(_) | Value::Bool(_)) => display_string(v),
            other => return type_error("kv-set!", "a string (or a number or symbol) as the value", other),
        };
        host("kv-set!", guest::kv_set(&key, &value))?;
        Ok(Value::Unspecified)
    }),
    prim!("kv-delete!", 1, Some(1), |_, a| {
        let key = key("kv-delete!", &a[0])?;
        Ok(Value::Bool(host("kv-delete!", guest::kv_del(&key))?))
    }),
    prim!("kv-keys", 0, Some(1), |_, a| {
        let prefix = match a.get(0) {
            Some(v) => key("kv-keys", v)?,
            None => String::new(),
        };
        let keys = host("kv-keys", guest::kv_keys(&prefix))?;
        make_list(keys.into_iter().map(Value::str).collect())
    }),
    prim!("counter-add!", 1, Some(1), |_, a| {
        let delta = int("counter-add!", &a[0])?;
        Ok(Value::Int(host("counter-add!", guest::add(delta))?))
    }),
    prim!("counter", 0, Some(0), |_, _| Ok(Value::Int(host("counter", guest::sum())?))),
    prim!("whoami", 0, Some(0), |_, _| whoami(&host("whoami", guest::whoami())?)),
    prim!("call", 1, Some(2), |_, a| {
        let name = string("call", &a[0])?.clone();
        let arg = match a.get(1) {
            Some(v) => display_string(v),
            None => String::new(),
        };
        match guest::call(&name, &arg) {
            Ok(answer) => Ok(Value::str(answer)),
            Err(e) => fail(format!("call {}: {}", name, e)),
        }
    }),
    prim!("fields", 0, Some(1), |_, a| {
        let prefix = match a.get(0) {
            Some(v) => string("fields", v)?.to_string(),
            None => String::new(),
        };
        let fields = host("fields", guest::fields(&prefix))?;
        make_list(
            fields
                .into_iter()
                .map(|f| {
                    make_list(vec![Value::str(f.name), Value::sym(&f.kind), Value::sym(&f.access), Value::sym(&f.role), Value::str(f.doc)])
                })
                .collect::<R<Vec<Value>>>()?,
        )
    }),
];

fn host<T>(who: &str, result: Result<T, guest::Error>) -> R<T> {
    result.map_or_else(|e| fail(format!("{}: {}", who, e)), Ok)
}

/// Keys are strings; symbols are accepted for convenience.
fn key(who: &str, v: &Value) -> R<String> {
    match v {
        Value::Str(s) => Ok(s.borrow().clone()),
        Value::Sym(s) => Ok(s.name().to_string()),
        other => type_error(who, "a string key", other),
    }
}

/// "user=alice uid=1000 ..." as ((user . "alice") (uid . "1000") ...).
fn whoami(text: &str) -> R<Value> {
    let mut entries = Vec::new();
    for field in text.split_whitespace() {
        match field.split_once('=') {
            Some((k, v)) => entries.push(cons(Value::sym(k), Value::str(v))),
            None => entries.push(cons(Value::sym(field), Value::Bool(true))),
        }
    }
    make_list(entries)
}
