//! Pairs and lists, and the SRFI-1 procedures that need no callback (take, drop, delete, ...;
//! those that call procedures are in library.rs). Every walk along a list is a loop; functions
//! that need a proper list check for one (and for cycles) through `list_to_vec`.

use std::collections::BTreeSet;

use crate::builtins::{index, make_list, pair, prim, type_error, ANY};
use crate::eval::{Interp, Primitive};
use crate::printer::write_short;
use crate::eval::charge;
use crate::tables::{HashKey, Kind};
use crate::value::{
    check_mutable, cons, eqv, equal, fail, is_circular, list_length, list_to_vec, list_with_tail, pair_bytes, reserve_n,
    Value, R,
};

fn eqv_ok(a: &Value, b: &Value) -> R<bool> {
    Ok(eqv(a, b))
}

pub static PRIMS: &[Primitive] = &[
    prim!("car", 1, Some(1), |_, a| Ok(pair("car", &a[0])?.car())),
    prim!("cdr", 1, Some(1), |_, a| Ok(pair("cdr", &a[0])?.cdr())),
    prim!("set-car!", 2, Some(2), |_, a| {
        check_mutable("set-car!", &a[0])?;
        pair("set-car!", &a[0])?.set_car(a[1].clone());
        Ok(Value::Unspecified)
    }),
    prim!("set-cdr!", 2, Some(2), |_, a| {
        check_mutable("set-cdr!", &a[0])?;
        pair("set-cdr!", &a[0])?.set_cdr(a[1].clone());
        Ok(Value::Unspecified)
    }),
    prim!("null?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Nil)))),
    prim!("pair?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Pair(_))))),
    prim!("list?", 1, Some(1), |_, a| Ok(Value::Bool(list_length(&a[0]).is_some()))),
    prim!("length", 1, Some(1), |_, a| match list_length(&a[0]) {
        Some(n) => Ok(Value::Int(n as i64)),
        // Not a proper list: let the full walk say whether it is circular or improper.
        None => list_to_vec("length", &a[0]).map(|items| Value::Int(items.len() as i64)),
    }),
    prim!("cons*", 1, ANY, |_, a| {
        let (last, init) = match a.split_last() {
            Some(x) => x,
            None => return Ok(Value::Nil),
        };
        reserve_n(init.len(), pair_bytes())?;
        Ok(list_with_tail(init.to_vec(), last.clone()))
    }),
    prim!("make-list", 1, Some(2), |_, a| {
        let n = index("make-list", &a[0])?;
        reserve_n(n, pair_bytes())?;
        charge(n / 16)?;
        let fill = a.get(1).cloned().unwrap_or(Value::Unspecified);
        let mut list = Value::Nil;
        for _ in 0..n {
            list = cons(fill.clone(), list);
        }
        Ok(list)
    }),
    prim!("reverse", 1, Some(1), reverse),
    prim!("reverse!", 1, Some(1), reverse),
    prim!("append!", 0, ANY, crate::builtins::append),
    prim!("append-reverse", 2, Some(2), append_reverse),
    prim!("append-reverse!", 2, Some(2), append_reverse),
    prim!("list-copy", 1, Some(1), |_, a| {
        // Copies the spine of a possibly improper list.
        if is_circular(&a[0]) {
            return fail("list-copy: circular list");
        }
        let mut items = Vec::new();
        let mut cur = a[0].clone();
        while let Value::Pair(p) = cur {
            items.push(p.car());
            cur = p.cdr();
        }
        reserve_n(items.len(), pair_bytes())?;
        Ok(list_with_tail(items, cur))
    }),
    prim!("list-tail", 2, Some(2), |_, a| tail("list-tail", &a[0], index("list-tail", &a[1])?)),
    prim!("drop", 2, Some(2), |_, a| tail("drop", &a[0], index("drop", &a[1])?)),
    prim!("take", 2, Some(2), |_, a| head("take", &a[0], &a[1])),
    prim!("list-head", 2, Some(2), |_, a| head("list-head", &a[0], &a[1])),
    prim!("list-ref", 2, Some(2), |_, a| {
        let k = index("list-ref", &a[1])?;
        match tail("list-ref", &a[0], k)? {
            Value::Pair(p) => Ok(p.car()),
            _ => fail(format!("list-ref: index {} is out of range", k)),
        }
    }),
    prim!("list-set!", 3, Some(3), |_, a| {
        let k = index("list-set!", &a[1])?;
        let cell = tail("list-set!", &a[0], k)?;
        check_mutable("list-set!", &cell)?;
        match cell {
            Value::Pair(p) => {
                p.set_car(a[2].clone());
                Ok(Value::Unspecified)
            }
            _ => fail(format!("list-set!: index {} is out of range", k)),
        }
    }),
    prim!("last-pair", 1, Some(1), |_, a| {
        let mut p = pair("last-pair", &a[0])?.clone();
        loop {
            match p.cdr() {
                Value::Pair(next) => p = next,
                _ => return Ok(Value::Pair(p)),
            }
        }
    }),
    prim!("last", 1, Some(1), |_, a| {
        let mut p = pair("last", &a[0])?.clone();
        loop {
            match p.cdr() {
                Value::Pair(next) => p = next,
                _ => return Ok(p.car()),
            }
        }
    }),
    prim!("first", 1, Some(1), |_, a| nth("first", &a[0], 0)),
    prim!("second", 1, Some(1), |_, a| nth("second", &a[0], 1)),
    prim!("third", 1, Some(1), |_, a| nth("third", &a[0], 2)),
    prim!("fourth", 1, Some(1), |_, a| nth("fourth", &a[0], 3)),
    prim!("fifth", 1, Some(1), |_, a| nth("fifth", &a[0], 4)),
    prim!("sixth", 1, Some(1), |_, a| nth("sixth", &a[0], 5)),
    prim!("seventh", 1, Some(1), |_, a| nth("seventh", &a[0], 6)),
    prim!("eighth", 1, Some(1), |_, a| nth("eighth", &a[0], 7)),
    prim!("ninth", 1, Some(1), |_, a| nth("ninth", &a[0], 8)),
    prim!("tenth", 1, Some(1), |_, a| nth("tenth", &a[0], 9)),
    prim!("memq", 2, Some(2), |_, a| member("memq", &a[0], &a[1], eqv_ok)),
    prim!("memv", 2, Some(2), |_, a| member("memv", &a[0], &a[1], eqv_ok)),
    prim!("%member", 2, Some(2), |_, a| member("member", &a[0], &a[1], equal)),
    prim!("assq", 2, Some(2), |_, a| assoc("assq", &a[0], &a[1], eqv_ok)),
    prim!("assv", 2, Some(2), |_, a| assoc("assv", &a[0], &a[1], eqv_ok)),
    prim!("%assoc", 2, Some(2), |_, a| assoc("assoc", &a[0], &a[1], equal)),
    prim!("%delete", 2, Some(2), |_, a| {
        let items = list_to_vec("delete", &a[1])?;
        let mut kept = Vec::with_capacity(items.len());
        for x in items {
            if !equal(&a[0], &x)? {
                kept.push(x);
            }
        }
        make_list(kept)
    }),
    prim!("%delete-duplicates", 1, Some(1), |_, a| {
        let mut seen = BTreeSet::new();
        let mut kept = Vec::new();
        for item in list_to_vec("delete-duplicates", &a[0])? {
            if seen.insert(HashKey::of(&item, Kind::Equal)?) {
                kept.push(item);
            }
        }
        make_list(kept)
    }),
    prim!("iota", 1, Some(3), iota),
    // Helpers of the prelude's n-ary map and for-each.
    prim!("%all-pairs?", 1, Some(1), |_, a| {
        let mut cur = a[0].clone();
        while let Value::Pair(p) = cur {
            if !matches!(p.car(), Value::Pair(_)) {
                return Ok(Value::Bool(false));
            }
            cur = p.cdr();
        }
        Ok(Value::Bool(true))
    }),
    prim!("%cars", 1, Some(1), |_, a| heads(&a[0], true)),
    prim!("%cdrs", 1, Some(1), |_, a| heads(&a[0], false)),
];

/// car/cdr compositions: `cadr` is (car (cdr x)).
pub static ACCESSORS: &[Primitive] = &[
    prim!("caar", 1, Some(1), |_, a| cxr("caar", &a[0])),
    prim!("cadr", 1, Some(1), |_, a| cxr("cadr", &a[0])),
    prim!("cdar", 1, Some(1), |_, a| cxr("cdar", &a[0])),
    prim!("cddr", 1, Some(1), |_, a| cxr("cddr", &a[0])),
    prim!("caaar", 1, Some(1), |_, a| cxr("caaar", &a[0])),
    prim!("caadr", 1, Some(1), |_, a| cxr("caadr", &a[0])),
    prim!("cadar", 1, Some(1), |_, a| cxr("cadar", &a[0])),
    prim!("caddr", 1, Some(1), |_, a| cxr("caddr", &a[0])),
    prim!("cdaar", 1, Some(1), |_, a| cxr("cdaar", &a[0])),
    prim!("cdadr", 1, Some(1), |_, a| cxr("cdadr", &a[0])),
    prim!("cddar", 1, Some(1), |_, a| cxr("cddar", &a[0])),
    prim!("cdddr", 1, Some(1), |_, a| cxr("cdddr", &a[0])),
    prim!("cadddr", 1, Some(1), |_, a| cxr("cadddr", &a[0])),
    prim!("cddddr", 1, Some(1), |_, a| cxr("cddddr", &a[0])),
];

fn cxr(name: &str, v: &Value) -> R<Value> {
    let path = &name[1..name.len() - 1];
    let mut cur = v.clone();
    for op in path.chars().rev() {
        cur = match &cur {
            Value::Pair(p) => {
                if op == 'a' {
                    p.car()
                } else {
                    p.cdr()
                }
            }
            _ => return type_error(name, "a list deep enough", v),
        };
    }
    Ok(cur)
}

fn nth(who: &str, list: &Value, k: usize) -> R<Value> {
    match tail(who, list, k)? {
        Value::Pair(p) => Ok(p.car()),
        _ => fail(format!("{}: list is too short", who)),
    }
}

fn tail(who: &str, list: &Value, k: usize) -> R<Value> {
    charge(k / 16)?;
    let mut cur = list;
    for i in 0..k {
        cur = match cur {
            Value::Pair(p) => p.cdr_ref(),
            _ => return fail(format!("{}: index {} is out of range", who, k)),
        };
        if i % 65536 == 65535 {
            charge(4096)?;
        }
    }
    Ok(cur.clone())
}

/// The first k elements of a list, copied.
fn head(who: &str, list: &Value, k: &Value) -> R<Value> {
    let k = index(who, k)?;
    let mut items = Vec::with_capacity(k.min(1 << 16));
    let mut cur = list.clone();
    for _ in 0..k {
        match cur {
            Value::Pair(p) => {
                items.push(p.car());
                cur = p.cdr();
            }
            _ => return fail(format!("{}: list has fewer than {} elements", who, k)),
        }
    }
    make_list(items)
}

fn reverse(_: &mut Interp, args: &[Value]) -> R<Value> {
    append_reverse_onto("reverse", &args[0], Value::Nil)
}

fn append_reverse(_: &mut Interp, args: &[Value]) -> R<Value> {
    append_reverse_onto("append-reverse", &args[0], args[1].clone())
}

fn append_reverse_onto(who: &str, list: &Value, tail: Value) -> R<Value> {
    let items = list_to_vec(who, list)?;
    reserve_n(items.len(), pair_bytes())?;
    let mut out = tail;
    for item in items {
        out = cons(item, out);
    }
    Ok(out)
}

fn member(who: &str, x: &Value, list: &Value, same: fn(&Value, &Value) -> R<bool>) -> R<Value> {
    let mut cur = list.clone();
    let mut steps = 0usize;
    loop {
        match &cur {
            Value::Pair(p) => {
                if same(x, &p.car())? {
                    return Ok(cur);
                }
                let next = p.cdr();
                cur = next;
            }
            Value::Nil => return Ok(Value::Bool(false)),
            _ => return type_error(who, "a list", list),
        }
        steps += 1;
        if steps % 1024 == 0 {
            charge(64)?;
            if list_length(list).is_none() {
                return type_error(who, "a proper list", list);
            }
        }
    }
}

fn assoc(who: &str, x: &Value, list: &Value, same: fn(&Value, &Value) -> R<bool>) -> R<Value> {
    let mut cur = list.clone();
    let mut steps = 0usize;
    loop {
        match &cur {
            Value::Pair(p) => {
                let entry = p.car();
                match &entry {
                    Value::Pair(e) => {
                        if same(x, &e.car())? {
                            return Ok(entry);
                        }
                    }
                    other => return fail(format!("{}: {} in the list is not a pair", who, write_short(other))),
                }
                let next = p.cdr();
                cur = next;
            }
            Value::Nil => return Ok(Value::Bool(false)),
            _ => return type_error(who, "an association list", list),
        }
        steps += 1;
        if steps % 1024 == 0 {
            charge(64)?;
            if list_length(list).is_none() {
                return type_error(who, "a proper list", list);
            }
        }
    }
}

/// `(iota count [start [step]])`, built from the end (no temporary copy).
fn iota(_: &mut Interp, args: &[Value]) -> R<Value> {
    let n = index("iota", &args[0])?;
    reserve_n(n, pair_bytes())?;
    charge(n / 16)?;
    let start = args.get(1).cloned().unwrap_or(Value::Int(0));
    let step = args.get(2).cloned().unwrap_or(Value::Int(1));
    let mut list = Value::Nil;
    match (&start, &step) {
        (Value::Int(s), Value::Int(d)) => {
            let last = (n as i64 - 1).max(0).checked_mul(*d).and_then(|x| x.checked_add(*s));
            if last.is_none() {
                return fail("iota: integer overflow");
            }
            for i in (0..n as i64).rev() {
                list = cons(Value::Int(s + i * d), list);
            }
        }
        _ => {
            let s = crate::numbers::num("iota", &start)?.as_f64();
            let d = crate::numbers::num("iota", &step)?.as_f64();
            for i in (0..n).rev() {
                list = cons(Value::Real(s + d * i as f64), list);
            }
        }
    }
    Ok(list)
}

/// The cars (or cdrs) of a list of pairs.
fn heads(lists: &Value, cars: bool) -> R<Value> {
    let mut out = Vec::new();
    let mut cur = lists.clone();
    while let Value::Pair(p) = cur {
        match p.car() {
            Value::Pair(q) => out.push(if cars { q.car() } else { q.cdr() }),
            other => return type_error("map", "a list", &other),
        }
        cur = p.cdr();
    }
    make_list(out)
}
