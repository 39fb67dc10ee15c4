//! Hash tables (SRFI-69). A table compares keys by the equivalence it was made with: equal?
//! (the default), eqv?/eq? (identity for strings, pairs and other objects), string=?,
//! string-ci=?, char=?, =; entries are kept in key order, so listings are stable. A table made
//! with any other predicate (and a hash function) is a *custom* table: its buckets live in the
//! native map under the hash function's value, and library.rs walks them with the predicate.
//! The table procedures users call are library.rs wrappers that send custom tables there.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::builtins::{index, make_list, prim, type_error, ANY};
use crate::eval::Primitive;
use crate::value::{cons, fail, identity, pair_bytes, reserve_n, Value, R};

/// How a table compares keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Equal,
    Eqv,
    StringCi,
    Custom,
}

/// A key under one of the kinds, usable in an ordered map.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashKey {
    Nil,
    Bool(bool),
    Int(i64),
    Real(u64),
    Char(char),
    Str(String),
    Sym(String),
    /// Elements, then the tail of an improper list (None for a proper one).
    List(Vec<HashKey>, Option<Box<HashKey>>),
    Vector(Vec<HashKey>),
    Bytes(Vec<u8>),
    /// Objects compared by identity; the table keeps the object alive.
    Ident(usize),
}

const MAX_KEY_DEPTH: usize = 64;

impl HashKey {
    pub fn of(v: &Value, kind: Kind) -> R<HashKey> {
        match (kind, v) {
            (Kind::Eqv, Value::Str(_) | Value::Pair(_) | Value::Vector(_) | Value::Bytevector(_)) => Ok(HashKey::Ident(identity(v).unwrap_or(0))),
            (Kind::StringCi, Value::Str(s)) => Ok(HashKey::Str(crate::strings::fold_case(&s.borrow()))),
            _ => HashKey::structural(v, 0),
        }
    }

    fn structural(v: &Value, depth: usize) -> R<HashKey> {
        if depth > MAX_KEY_DEPTH || crate::value::stack_exhausted() {
            return fail("hash table key is nested too deeply");
        }
        Ok(match v {
            Value::Nil => HashKey::Nil,
            Value::Bool(b) => HashKey::Bool(*b),
            Value::Int(i) => HashKey::Int(*i),
            Value::Real(r) => HashKey::Real(r.to_bits()),
            Value::Char(c) => HashKey::Char(*c),
            Value::Str(s) => HashKey::Str(s.borrow().clone()),
            Value::Sym(s) => HashKey::Sym(s.name().to_string()),
            Value::Pair(_) => {
                let mut items = Vec::new();
                let mut cur = v.clone();
                loop {
                    match cur {
                        Value::Pair(p) => {
                            if items.len() > 100_000 {
                                return fail("hash table key is too long (or circular)");
                            }
                            items.push(HashKey::structural(&p.car(), depth + 1)?);
                            cur = p.cdr();
                        }
                        Value::Nil => break HashKey::List(items, None),
                        other => break HashKey::List(items, Some(Box::new(HashKey::structural(&other, depth + 1)?))),
                    }
                }
            }
            Value::Vector(vec) => {
                let items = vec.items.borrow().clone();
                let mut keys = Vec::with_capacity(items.len());
                for item in &items {
                    keys.push(HashKey::structural(item, depth + 1)?);
                }
                HashKey::Vector(keys)
            }
            Value::Bytevector(b) => HashKey::Bytes(b.bytes.borrow().clone()),
            other => HashKey::Ident(identity(other).unwrap_or(0)),
        })
    }
}

pub struct HashTable {
    pub kind: Kind,
    pub map: RefCell<BTreeMap<HashKey, (Value, Value)>>,
    /// The equivalence predicate and hash function it was made with (#f: the defaults).
    pub equiv: Value,
    pub hash: Value,
}

impl HashTable {
    pub fn new(kind: Kind, equiv: Value, hash: Value) -> Value {
        Value::Hash(Rc::new(HashTable { kind, map: RefCell::new(BTreeMap::new()), equiv, hash }))
    }

    fn key(&self, v: &Value) -> R<HashKey> {
        // Custom tables store buckets under the (integer) hash values: plain keys.
        HashKey::of(v, if self.kind == Kind::Custom { Kind::Equal } else { self.kind })
    }

    pub fn set(&self, key: Value, value: Value) -> R<()> {
        let k = self.key(&key)?;
        let old = self.map.borrow_mut().insert(k, (key, value));
        drop(old);
        Ok(())
    }

    pub fn get(&self, key: &Value) -> R<Option<Value>> {
        let k = self.key(key)?;
        Ok(self.map.borrow().get(&k).map(|(_, v)| v.clone()))
    }

    pub fn remove(&self, key: &Value) -> R<bool> {
        let k = self.key(key)?;
        let old = self.map.borrow_mut().remove(&k);
        Ok(old.is_some())
    }

    /// The entries, in key order (a copy: callers may run Scheme code while walking it).
    pub fn entries(&self) -> R<Vec<(Value, Value)>> {
        let map = self.map.borrow();
        reserve_n(map.len(), 2 * std::mem::size_of::<Value>())?;
        crate::eval::charge(map.len() / 16)?;
        Ok(map.values().cloned().collect())
    }

    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.map.borrow_mut());
        let mut values = Vec::with_capacity(2 * old.len());
        for (_, (k, v)) in old {
            values.push(k);
            values.push(v);
        }
        crate::value::release_all(&mut values);
    }
}

impl Drop for HashTable {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The kind a table made with equivalence `equiv` has.
fn kind_of(equiv: &Value) -> R<Kind> {
    Ok(match equiv {
        Value::Bool(false) => Kind::Equal,
        Value::Prim(p) => match p.name {
            "equal?" | "string=?" | "=" | "char=?" => Kind::Equal,
            "eqv?" | "eq?" => Kind::Eqv,
            "string-ci=?" => Kind::StringCi,
            _ => Kind::Custom,
        },
        Value::Closure(_) => Kind::Custom,
        other => return type_error("make-hash-table", "an equivalence procedure", other),
    })
}

pub static PRIMS: &[Primitive] = &[
    prim!("make-hash-table", 0, ANY, |_, a| {
        let equiv = a.get(0).cloned().unwrap_or(Value::Bool(false));
        let kind = kind_of(&equiv)?;
        let hash = match a.get(1) {
            Some(h) if h.is_procedure() => h.clone(),
            _ => Value::Bool(false),
        };
        Ok(HashTable::new(kind, equiv, hash))
    }),
    prim!("make-equal-hash-table", 0, ANY, |_, _| Ok(HashTable::new(Kind::Equal, Value::Bool(false), Value::Bool(false)))),
    prim!("make-string-hash-table", 0, ANY, |_, _| Ok(HashTable::new(Kind::Equal, Value::Bool(false), Value::Bool(false)))),
    prim!("make-strong-eqv-hash-table", 0, ANY, |_, _| Ok(HashTable::new(Kind::Eqv, Value::Bool(false), Value::Bool(false)))),
    prim!("hash-table?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Hash(_))))),
    prim!("%hash-table-custom?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Hash(h) if h.kind == Kind::Custom)))),
    prim!("hash-table-equivalence-function", 1, Some(1), |_, a| {
        let t = table("hash-table-equivalence-function", &a[0])?;
        Ok(match &t.equiv {
            Value::Bool(false) => prim_value("equal?"),
            v => v.clone(),
        })
    }),
    prim!("hash-table-hash-function", 1, Some(1), |_, a| {
        let t = table("hash-table-hash-function", &a[0])?;
        Ok(match (&t.hash, t.kind) {
            (Value::Bool(false), Kind::StringCi) => prim_value("string-ci-hash"),
            (Value::Bool(false), Kind::Eqv) => prim_value("hash-by-identity"),
            (Value::Bool(false), Kind::Custom) => prim_value("%zero-hash"),
            (Value::Bool(false), _) => prim_value("hash"),
            (v, _) => v.clone(),
        })
    }),
    prim!("%hash-table-set!", 3, Some(3), |_, a| {
        table("hash-table-set!", &a[0])?.set(a[1].clone(), a[2].clone())?;
        Ok(Value::Unspecified)
    }),
    prim!("%hash-table-ref", 3, Some(3), |_, a| {
        Ok(table("hash-table-ref", &a[0])?.get(&a[1])?.unwrap_or_else(|| a[2].clone()))
    }),
    prim!("%hash-table-delete!", 2, Some(2), |_, a| Ok(Value::Bool(table("hash-table-delete!", &a[0])?.remove(&a[1])?))),
    prim!("%hash-table-size", 1, Some(1), |_, a| Ok(Value::Int(table("hash-table-size", &a[0])?.map.borrow().len() as i64))),
    prim!("%hash-table-keys", 1, Some(1), |_, a| make_list(table("hash-table-keys", &a[0])?.entries()?.into_iter().map(|(k, _)| k).collect())),
    prim!("%hash-table-values", 1, Some(1), |_, a| {
        make_list(table("hash-table-values", &a[0])?.entries()?.into_iter().map(|(_, v)| v).collect())
    }),
    prim!("%hash-table->alist", 1, Some(1), |_, a| {
        let entries = table("hash-table->alist", &a[0])?.entries()?;
        reserve_n(entries.len(), pair_bytes())?;
        make_list(entries.into_iter().map(|(k, v)| cons(k, v)).collect())
    }),
    prim!("%hash-table-copy", 1, Some(1), |_, a| {
        let t = table("hash-table-copy", &a[0])?;
        let entries = t.entries()?;
        let copy = HashTable::new(t.kind, t.equiv.clone(), t.hash.clone());
        if let Value::Hash(h) = &copy {
            for (k, v) in entries {
                h.set(k, v)?;
            }
        }
        Ok(copy)
    }),
    prim!("hash-table-clear!", 1, Some(1), |_, a| {
        table("hash-table-clear!", &a[0])?.clear();
        Ok(Value::Unspecified)
    }),
    // A custom table made without a hash function keeps one bucket: right for any predicate.
    prim!("%zero-hash", 1, Some(2), |_, _| Ok(Value::Int(0))),
    prim!("%missing", 0, Some(0), |_, _| Ok(MISSING.with(|m| m.clone()))),
    prim!("hash", 1, Some(2), |_, a| hash_value("hash", &a[0], a.get(1), Kind::Equal)),
    prim!("equal-hash", 1, Some(2), |_, a| hash_value("equal-hash", &a[0], a.get(1), Kind::Equal)),
    prim!("string-hash", 1, Some(2), |_, a| {
        crate::builtins::string("string-hash", &a[0])?;
        hash_value("string-hash", &a[0], a.get(1), Kind::Equal)
    }),
    prim!("string-ci-hash", 1, Some(2), |_, a| {
        crate::builtins::string("string-ci-hash", &a[0])?;
        hash_value("string-ci-hash", &a[0], a.get(1), Kind::StringCi)
    }),
    prim!("hash-by-identity", 1, Some(2), |_, a| hash_value("hash-by-identity", &a[0], a.get(1), Kind::Eqv)),
    prim!("eq-hash", 1, Some(2), |_, a| hash_value("eq-hash", &a[0], a.get(1), Kind::Eqv)),
    prim!("eqv-hash", 1, Some(2), |_, a| hash_value("eqv-hash", &a[0], a.get(1), Kind::Eqv)),
];

thread_local! {
    /// What a lookup of a missing key gives the library's wrappers: equal to nothing else.
    static MISSING: Value = cons(Value::sym("missing"), Value::Nil);
}

fn hash_value(who: &str, v: &Value, bound: Option<&Value>, kind: Kind) -> R<Value> {
    let mut h = DefaultHasher::new();
    HashKey::of(v, kind)?.hash(&mut h);
    let bound = match bound {
        Some(b) => index(who, b)?.max(1) as u64,
        None => 1 << 31,
    };
    Ok(Value::Int((h.finish() % bound) as i64))
}

pub fn table<'a>(who: &str, v: &'a Value) -> R<&'a Rc<HashTable>> {
    match v {
        Value::Hash(h) => Ok(h),
        _ => type_error(who, "a hash table", v),
    }
}

fn prim_value(name: &str) -> Value {
    crate::builtins::primitive(name).map_or(Value::Bool(false), Value::Prim)
}
