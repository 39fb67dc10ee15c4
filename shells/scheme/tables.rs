//! Vectors and hash tables. Hash tables compare keys with equal? and list their entries in key
//! order, so output is the same from run to run.

use std::rc::Rc;

use crate::builtins::{index, make_list, prim, type_error, ANY};
use crate::eval::{Interp, Primitive};
use crate::value::{cons, fail, list_to_vec, reserve, HashTable, Value, Vector, R, PAIR_BYTES};

pub static PRIMS: &[Primitive] = &[
    prim!("vector?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Vector(_))))),
    prim!("make-vector", 1, Some(2), |_, a| {
        let n = index("make-vector", &a[0])?;
        reserve(n.saturating_mul(std::mem::size_of::<Value>()))?;
        Ok(Vector::new(vec![a.get(1).cloned().unwrap_or(Value::Int(0)); n]))
    }),
    prim!("vector", 0, ANY, |_, a| {
        reserve(a.len() * std::mem::size_of::<Value>())?;
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
    prim!("vector-fill!", 2, Some(2), |_, a| {
        let v = vector("vector-fill!", &a[0])?;
        let old: Vec<Value> = {
            let mut items = v.items.borrow_mut();
            let n = items.len();
            std::mem::replace(&mut *items, vec![a[1].clone(); n])
        };
        drop(old);
        Ok(Value::Unspecified)
    }),
    prim!("vector-copy", 1, Some(3), |_, a| {
        let items = range("vector-copy", a)?;
        reserve(items.len() * std::mem::size_of::<Value>())?;
        Ok(Vector::new(items))
    }),
    prim!("vector-append", 0, ANY, |_, a| {
        let mut items = Vec::new();
        for v in a {
            items.extend(vector("vector-append", v)?.items.borrow().iter().cloned());
        }
        reserve(items.len() * std::mem::size_of::<Value>())?;
        Ok(Vector::new(items))
    }),
    prim!("make-hash-table", 0, ANY, |_, _| Ok(HashTable::new())),
    prim!("make-equal-hash-table", 0, ANY, |_, _| Ok(HashTable::new())),
    prim!("make-string-hash-table", 0, ANY, |_, _| Ok(HashTable::new())),
    prim!("hash-table?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Hash(_))))),
    prim!("hash-table-set!", 3, Some(3), |_, a| {
        table("hash-table-set!", &a[0])?.set(a[1].clone(), a[2].clone())?;
        Ok(Value::Unspecified)
    }),
    prim!("%hash-table-ref", 3, Some(3), |_, a| {
        Ok(table("hash-table-ref", &a[0])?.get(&a[1])?.unwrap_or_else(|| a[2].clone()))
    }),
    prim!("hash-table-ref/default", 3, Some(3), |_, a| {
        Ok(table("hash-table-ref/default", &a[0])?.get(&a[1])?.unwrap_or_else(|| a[2].clone()))
    }),
    prim!("hash-table-contains?", 2, Some(2), |_, a| {
        Ok(Value::Bool(table("hash-table-contains?", &a[0])?.get(&a[1])?.is_some()))
    }),
    prim!("hash-table-exists?", 2, Some(2), |_, a| {
        Ok(Value::Bool(table("hash-table-exists?", &a[0])?.get(&a[1])?.is_some()))
    }),
    prim!("hash-table-delete!", 2, Some(2), |_, a| Ok(Value::Bool(table("hash-table-delete!", &a[0])?.remove(&a[1])?))),
    prim!("hash-table-count", 1, Some(1), |_, a| count("hash-table-count", &a[0])),
    prim!("hash-table-size", 1, Some(1), |_, a| count("hash-table-size", &a[0])),
    prim!("hash-table-keys", 1, Some(1), |_, a| {
        make_list(table("hash-table-keys", &a[0])?.entries().into_iter().map(|(k, _)| k).collect())
    }),
    prim!("hash-table-values", 1, Some(1), |_, a| {
        make_list(table("hash-table-values", &a[0])?.entries().into_iter().map(|(_, v)| v).collect())
    }),
    prim!("hash-table->alist", 1, Some(1), |_, a| {
        let entries = table("hash-table->alist", &a[0])?.entries();
        reserve(entries.len() * PAIR_BYTES)?;
        make_list(entries.into_iter().map(|(k, v)| cons(k, v)).collect())
    }),
    prim!("alist->hash-table", 1, ANY, |_, a| {
        let t = HashTable::new();
        if let Value::Hash(h) = &t {
            for entry in list_to_vec("alist->hash-table", &a[0])? {
                match &entry {
                    Value::Pair(p) => {
                        // The first of duplicate keys wins, as with assoc.
                        if h.get(&p.car())?.is_none() {
                            h.set(p.car(), p.cdr())?;
                        }
                    }
                    other => return type_error("alist->hash-table", "a list of pairs", other),
                }
            }
        }
        Ok(t)
    }),
    prim!("hash-table-clear!", 1, Some(1), |_, a| {
        table("hash-table-clear!", &a[0])?.clear();
        Ok(Value::Unspecified)
    }),
    prim!("hash-table-copy", 1, Some(2), |_, a| {
        let entries = table("hash-table-copy", &a[0])?.entries();
        let t = HashTable::new();
        if let Value::Hash(h) = &t {
            for (k, v) in entries {
                h.set(k, v)?;
            }
        }
        Ok(t)
    }),
];

fn vector<'a>(who: &str, v: &'a Value) -> R<&'a Rc<Vector>> {
    match v {
        Value::Vector(vec) => Ok(vec),
        _ => type_error(who, "a vector", v),
    }
}

fn table<'a>(who: &str, v: &'a Value) -> R<&'a Rc<HashTable>> {
    match v {
        Value::Hash(h) => Ok(h),
        _ => type_error(who, "a hash table", v),
    }
}

fn count(who: &str, v: &Value) -> R<Value> {
    Ok(Value::Int(table(who, v)?.map.borrow().len() as i64))
}

/// The elements `(proc vector [start [end]])` selects.
fn range(who: &str, a: &[Value]) -> R<Vec<Value>> {
    let items = vector(who, &a[0])?.items.borrow();
    let start = match a.get(1) {
        Some(v) => index(who, v)?,
        None => 0,
    };
    let end = match a.get(2) {
        Some(v) => index(who, v)?,
        None => items.len(),
    };
    match items.get(start..end) {
        Some(part) => Ok(part.to_vec()),
        None => fail(format!("{}: range {} to {} is outside a vector of length {}", who, start, end, items.len())),
    }
}

pub fn list_to_vector(_: &mut Interp, a: &[Value]) -> R<Value> {
    let items = list_to_vec("list->vector", &a[0])?;
    reserve(items.len() * std::mem::size_of::<Value>())?;
    Ok(Vector::new(items))
}
