//! Scheme values, symbols, errors, heap accounting and the structural helpers (lists, equality)
//! every other module uses.
//!
//! Values are reference counted. Two things keep them from trapping the guest:
//! - every container counts its bytes in [`HEAP_BYTES`], so runaway allocation becomes a Scheme
//!   error ("out of memory") before the wasm memory limit aborts the shell;
//! - containers drop their children through a queue ([`release`]), so freeing a million-element
//!   list or a deep chain of closures never recurses on the (small) native stack.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::eval::{Closure, Primitive};

// ---------------------------------------------------------------------------------------------
// Heap accounting

static HEAP_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Estimated live bytes of Scheme data above which allocation fails with a Scheme error. The
/// guest's memory is capped at 48 MiB (wasm.conf); the rest is for code, the evaluator's stacks,
/// temporary copies (a list spread by `apply` exists twice for a moment) and fragmentation.
/// Measured: 400,000 pairs plus a spread copy of them took the guest to 46 MiB with a 24 MiB
/// limit, so 16 MiB it is.
pub const HEAP_LIMIT: usize = 16 * 1024 * 1024;

/// Bytes one pair costs (Rc header, two values, allocator overhead).
pub const PAIR_BYTES: usize = 48;
/// Bytes one vector, string, frame or table entry costs besides its payload.
pub const OBJECT_BYTES: usize = 32;

pub fn heap_add(bytes: usize) {
    HEAP_BYTES.store(HEAP_BYTES.load(Ordering::Relaxed).saturating_add(bytes), Ordering::Relaxed);
}

pub fn heap_sub(bytes: usize) {
    HEAP_BYTES.store(HEAP_BYTES.load(Ordering::Relaxed).saturating_sub(bytes), Ordering::Relaxed);
}

pub fn heap_used() -> usize {
    HEAP_BYTES.load(Ordering::Relaxed)
}

/// Fails unless `bytes` more fit under [`HEAP_LIMIT`]; called before every bulk allocation.
pub fn reserve(bytes: usize) -> R<()> {
    if heap_used().saturating_add(bytes) > HEAP_LIMIT {
        Err(out_of_memory())
    } else {
        Ok(())
    }
}

pub fn out_of_memory() -> Error {
    error(format!("out of memory (Scheme data is limited to {} MiB)", HEAP_LIMIT >> 20))
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why an evaluation stopped early.
pub enum Error {
    /// A raised object: usually an error object from `error` or a primitive, or any value given
    /// to `raise`. `guard` catches it. Boxed to keep results small on the hot path.
    Raise(Box<Value>),
    /// `(exit)`: closes the session; not catchable.
    Exit,
}

pub type R<T> = Result<T, Error>;

pub struct ErrorObj {
    pub message: String,
    pub irritants: Vec<Value>,
}

impl Drop for ErrorObj {
    fn drop(&mut self) {
        for v in self.irritants.drain(..) {
            release(v);
        }
        drain_releases();
    }
}

pub fn error(message: impl Into<String>) -> Error {
    Error::Raise(Box::new(Value::Error(Rc::new(ErrorObj { message: message.into(), irritants: Vec::new() }))))
}

pub fn fail<T>(message: impl Into<String>) -> R<T> {
    Err(error(message))
}

// ---------------------------------------------------------------------------------------------
// Symbols

/// An interned name: equal names share one allocation, so comparison is a pointer comparison.
#[derive(Clone)]
pub struct Symbol(Rc<SymbolName>);

pub struct SymbolName {
    name: Box<str>,
}

impl Drop for SymbolName {
    fn drop(&mut self) {
        heap_sub(symbol_bytes(&self.name));
    }
}

/// A symbol's cost, including its entry in the table.
fn symbol_bytes(name: &str) -> usize {
    2 * name.len() + 2 * OBJECT_BYTES
}

type FixedHasher = BuildHasherDefault<DefaultHasher>;

/// Interned symbols, held weakly: a program that makes symbols from data in a loop does not
/// keep them all alive. Dead entries are swept when the table has doubled.
struct SymbolTable {
    map: HashMap<Box<str>, Weak<SymbolName>, FixedHasher>,
    sweep_at: usize,
}

thread_local! {
    static SYMBOLS: RefCell<SymbolTable> = RefCell::new(SymbolTable { map: HashMap::default(), sweep_at: 1024 });
}

impl Symbol {
    pub fn intern(name: &str) -> Symbol {
        SYMBOLS.with(|table| {
            let mut table = table.borrow_mut();
            if let Some(live) = table.map.get(name).and_then(Weak::upgrade) {
                return Symbol(live);
            }
            let symbol = Symbol::fresh(name);
            table.map.insert(name.into(), Rc::downgrade(&symbol.0));
            if table.map.len() > table.sweep_at {
                table.map.retain(|_, w| w.strong_count() > 0);
                table.sweep_at = (2 * table.map.len()).max(1024);
            }
            symbol
        })
    }

    /// A symbol equal to no other, even one with the same name (for compiler-made variables).
    pub fn fresh(name: &str) -> Symbol {
        heap_add(symbol_bytes(name));
        Symbol(Rc::new(SymbolName { name: name.into() }))
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }
}

impl PartialEq for Symbol {
    fn eq(&self, other: &Symbol) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Values

#[derive(Clone)]
pub enum Value {
    Nil,
    /// The value of forms that have none (define, set!, display, one-armed if): not printed.
    Unspecified,
    /// The content of a variable declared but not yet initialised (letrec, internal define).
    Unassigned,
    Bool(bool),
    Int(i64),
    Real(f64),
    Char(char),
    Str(Rc<SString>),
    Sym(Symbol),
    Pair(Rc<Pair>),
    Vector(Rc<Vector>),
    Prim(&'static Primitive),
    Closure(Rc<Closure>),
    Hash(Rc<HashTable>),
    Error(Rc<ErrorObj>),
    /// Only in frame slots: a procedure whose environment is the frame holding it, kept as code
    /// (a closure there would be an Rc cycle). Reading the variable makes the closure.
    FrameLambda(Rc<crate::compile::LambdaInfo>),
}

impl Default for Value {
    fn default() -> Value {
        Value::Unspecified
    }
}

impl Value {
    pub fn is_true(&self) -> bool {
        !matches!(self, Value::Bool(false))
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(SString::new(s.into()))
    }

    pub fn sym(name: &str) -> Value {
        Value::Sym(Symbol::intern(name))
    }

    pub fn is_procedure(&self) -> bool {
        matches!(self, Value::Prim(_) | Value::Closure(_))
    }

}

/// An immutable string.
pub struct SString {
    pub text: String,
}

impl SString {
    pub fn new(text: String) -> Rc<SString> {
        heap_add(text.len() + OBJECT_BYTES);
        Rc::new(SString { text })
    }
}

impl Drop for SString {
    fn drop(&mut self) {
        heap_sub(self.text.len() + OBJECT_BYTES);
    }
}

/// A mutable pair. Cells instead of RefCells: a pair is 48 bytes, and reads clone the value
/// without running Scheme code, so no borrow can be observed half-way.
pub struct Pair {
    car: Cell<Value>,
    cdr: Cell<Value>,
}

impl Pair {
    pub fn car(&self) -> Value {
        // Safety: single-threaded, and cloning a Value never touches this cell.
        unsafe { (*self.car.as_ptr()).clone() }
    }

    pub fn cdr(&self) -> Value {
        // Safety: as in car.
        unsafe { (*self.cdr.as_ptr()).clone() }
    }

    pub fn set_car(&self, v: Value) {
        release(self.car.replace(v));
        drain_releases();
    }

    pub fn set_cdr(&self, v: Value) {
        release(self.cdr.replace(v));
        drain_releases();
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        heap_sub(PAIR_BYTES);
        release(self.car.replace(Value::Nil));
        release(self.cdr.replace(Value::Nil));
        drain_releases();
    }
}

pub fn cons(car: Value, cdr: Value) -> Value {
    heap_add(PAIR_BYTES);
    Value::Pair(Rc::new(Pair { car: Cell::new(car), cdr: Cell::new(cdr) }))
}

pub struct Vector {
    pub items: RefCell<Vec<Value>>,
    bytes: usize,
}

impl Vector {
    pub fn new(items: Vec<Value>) -> Value {
        let bytes = OBJECT_BYTES + items.len() * std::mem::size_of::<Value>();
        heap_add(bytes);
        Value::Vector(Rc::new(Vector { items: RefCell::new(items), bytes }))
    }
}

impl Drop for Vector {
    fn drop(&mut self) {
        heap_sub(self.bytes);
        for v in self.items.get_mut().drain(..) {
            release(v);
        }
        drain_releases();
    }
}

// ---------------------------------------------------------------------------------------------
// Hash tables: ordered by key so listings are stable and readable.

/// The equal?-identity of a value, usable as a map key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Objects compared by identity (procedures, tables); the table keeps the object alive.
    Ident(usize),
}

const MAX_KEY_DEPTH: usize = 64;

impl HashKey {
    pub fn of(v: &Value) -> R<HashKey> {
        HashKey::of_depth(v, 0)
    }

    fn of_depth(v: &Value, depth: usize) -> R<HashKey> {
        if depth > MAX_KEY_DEPTH {
            return fail("hash table key is nested too deeply");
        }
        Ok(match v {
            Value::Nil => HashKey::Nil,
            Value::Bool(b) => HashKey::Bool(*b),
            Value::Int(i) => HashKey::Int(*i),
            Value::Real(r) => HashKey::Real(r.to_bits()),
            Value::Char(c) => HashKey::Char(*c),
            Value::Str(s) => HashKey::Str(s.text.clone()),
            Value::Sym(s) => HashKey::Sym(s.name().to_string()),
            Value::Pair(_) => {
                let mut items = Vec::new();
                let mut cur = v.clone();
                let mut steps = 0usize;
                loop {
                    match cur {
                        Value::Pair(p) => {
                            steps += 1;
                            if steps > 100_000 {
                                return fail("hash table key is too long (or circular)");
                            }
                            items.push(HashKey::of_depth(&p.car(), depth + 1)?);
                            cur = p.cdr();
                        }
                        Value::Nil => break HashKey::List(items, None),
                        other => break HashKey::List(items, Some(Box::new(HashKey::of_depth(&other, depth + 1)?))),
                    }
                }
            }
            Value::Vector(vec) => {
                let items = vec.items.borrow().clone();
                let mut keys = Vec::with_capacity(items.len());
                for item in &items {
                    keys.push(HashKey::of_depth(item, depth + 1)?);
                }
                HashKey::Vector(keys)
            }
            Value::Prim(p) => HashKey::Ident(*p as *const Primitive as usize),
            Value::Closure(c) => HashKey::Ident(Rc::as_ptr(c) as usize),
            Value::Hash(h) => HashKey::Ident(Rc::as_ptr(h) as usize),
            Value::Error(e) => HashKey::Ident(Rc::as_ptr(e) as usize),
            Value::FrameLambda(l) => HashKey::Ident(Rc::as_ptr(l) as usize),
            Value::Unspecified | Value::Unassigned => HashKey::Nil,
        })
    }

    fn approx_bytes(&self) -> usize {
        match self {
            HashKey::Str(s) | HashKey::Sym(s) => s.len(),
            HashKey::List(items, _) | HashKey::Vector(items) => items.len() * 32,
            _ => 0,
        }
    }
}

pub struct HashTable {
    pub map: RefCell<BTreeMap<HashKey, (Value, Value)>>,
}

const ENTRY_BYTES: usize = 96;

impl HashTable {
    pub fn new() -> Value {
        heap_add(OBJECT_BYTES);
        Value::Hash(Rc::new(HashTable { map: RefCell::new(BTreeMap::new()) }))
    }

    pub fn set(&self, key: Value, value: Value) -> R<()> {
        let k = HashKey::of(&key)?;
        let mut map = self.map.borrow_mut();
        let old = match map.get_mut(&k) {
            Some(entry) => Some(std::mem::replace(entry, (key, value))),
            None => {
                heap_add(ENTRY_BYTES + k.approx_bytes());
                map.insert(k, (key, value));
                None
            }
        };
        drop(map);
        if let Some((k, v)) = old {
            release(k);
            release(v);
            drain_releases();
        }
        Ok(())
    }

    pub fn get(&self, key: &Value) -> R<Option<Value>> {
        let k = HashKey::of(key)?;
        Ok(self.map.borrow().get(&k).map(|(_, v)| v.clone()))
    }

    pub fn remove(&self, key: &Value) -> R<bool> {
        let k = HashKey::of(key)?;
        let old = self.map.borrow_mut().remove(&k);
        Ok(match old {
            Some((k2, v)) => {
                heap_sub(ENTRY_BYTES + k.approx_bytes());
                release(k2);
                release(v);
                drain_releases();
                true
            }
            None => false,
        })
    }

    /// The entries, in key order (a copy: callers may run Scheme code while walking it).
    pub fn entries(&self) -> Vec<(Value, Value)> {
        self.map.borrow().values().cloned().collect()
    }

    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.map.borrow_mut());
        for (k, (key, value)) in old {
            heap_sub(ENTRY_BYTES + k.approx_bytes());
            release(key);
            release(value);
        }
        drain_releases();
    }
}

impl Drop for HashTable {
    fn drop(&mut self) {
        heap_sub(OBJECT_BYTES);
        self.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// Drop without recursion

thread_local! {
    static RELEASED: RefCell<Vec<Value>> = RefCell::new(Vec::new());
    static DRAINING: Cell<bool> = Cell::new(false);
}

/// Drops a container's child: values that would free further containers wait in a queue, which
/// [`drain_releases`] empties iteratively.
#[inline]
pub fn release(v: Value) -> bool {
    let last_owner = match &v {
        Value::Pair(rc) => Rc::strong_count(rc) == 1,
        Value::Vector(rc) => Rc::strong_count(rc) == 1,
        Value::Closure(rc) => Rc::strong_count(rc) == 1,
        Value::Hash(rc) => Rc::strong_count(rc) == 1,
        Value::Error(rc) => Rc::strong_count(rc) == 1,
        _ => false,
    };
    if last_owner {
        RELEASED.with(|q| q.borrow_mut().push(v));
    }
    last_owner
}

/// Frees what [`release`] queued, unless an outer drop is already doing so.
pub fn drain_releases() {
    if DRAINING.with(|d| d.replace(true)) {
        return;
    }
    loop {
        let next = RELEASED.with(|q| q.borrow_mut().pop());
        match next {
            Some(v) => drop(v),
            None => break,
        }
    }
    DRAINING.with(|d| d.set(false));
}

/// Frees a frame's slots through the queue (a frame may hold the only reference to a long
/// chain of closures).
pub fn release_all(values: &mut Vec<Value>) {
    let mut queued = false;
    for v in values.drain(..) {
        queued |= release(v);
    }
    if queued {
        drain_releases();
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

pub fn list_from_vec(items: Vec<Value>) -> Value {
    list_with_tail(items, Value::Nil)
}

pub fn list_with_tail(items: Vec<Value>, tail: Value) -> Value {
    let mut list = tail;
    for item in items.into_iter().rev() {
        list = cons(item, list);
    }
    list
}

/// The elements of a proper list; `who` names the caller in the error.
pub fn list_to_vec(who: &str, list: &Value) -> R<Vec<Value>> {
    let mut items = Vec::new();
    let mut cur = list.clone();
    // Floyd's check: `slow` advances every other step, meeting `cur` only on a cycle.
    let mut slow = list.clone();
    loop {
        match cur {
            Value::Nil => return Ok(items),
            Value::Pair(p) => {
                items.push(p.car());
                cur = p.cdr();
                if items.len() % 65536 == 0 {
                    // The copy is temporary but real: keep it within the budget too.
                    reserve(items.len() * std::mem::size_of::<Value>())?;
                }
                if items.len() % 2 == 0 {
                    if let Value::Pair(s) = &slow {
                        let next = s.cdr();
                        slow = next;
                    }
                    if let (Value::Pair(a), Value::Pair(b)) = (&cur, &slow) {
                        if Rc::ptr_eq(a, b) {
                            return fail(format!("{}: circular list", who));
                        }
                    }
                }
            }
            _ => return fail(format!("{}: expected a proper list, got {}", who, crate::printer::write_short(list))),
        }
    }
}

/// Length of a proper list, or None for an improper or circular one.
pub fn list_length(list: &Value) -> Option<usize> {
    let mut n = 0usize;
    let mut cur = list.clone();
    let mut slow = list.clone();
    loop {
        match cur {
            Value::Nil => return Some(n),
            Value::Pair(p) => {
                n += 1;
                cur = p.cdr();
                if n % 2 == 0 {
                    if let Value::Pair(s) = &slow {
                        let next = s.cdr();
                        slow = next;
                    }
                    if let (Value::Pair(a), Value::Pair(b)) = (&cur, &slow) {
                        if Rc::ptr_eq(a, b) {
                            return None;
                        }
                    }
                }
            }
            _ => return None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Equality

pub fn eqv(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Unspecified, Value::Unspecified) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
        (Value::Char(x), Value::Char(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y),
        (Value::Sym(x), Value::Sym(y)) => x == y,
        (Value::Pair(x), Value::Pair(y)) => Rc::ptr_eq(x, y),
        (Value::Vector(x), Value::Vector(y)) => Rc::ptr_eq(x, y),
        (Value::Prim(x), Value::Prim(y)) => std::ptr::eq(*x, *y),
        (Value::Closure(x), Value::Closure(y)) => Rc::ptr_eq(x, y),
        (Value::Hash(x), Value::Hash(y)) => Rc::ptr_eq(x, y),
        (Value::Error(x), Value::Error(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Structural equality, with an explicit work list instead of recursion.
pub fn equal(a: &Value, b: &Value) -> bool {
    let mut work = vec![(a.clone(), b.clone())];
    let mut steps = 0usize;
    while let Some((x, y)) = work.pop() {
        steps += 1;
        if steps > 50_000_000 {
            return false; // circular structures: give up rather than loop for ever
        }
        match (&x, &y) {
            (Value::Pair(p), Value::Pair(q)) => {
                if Rc::ptr_eq(p, q) {
                    continue;
                }
                work.push((p.cdr(), q.cdr()));
                work.push((p.car(), q.car()));
            }
            (Value::Str(s), Value::Str(t)) => {
                if s.text != t.text {
                    return false;
                }
            }
            (Value::Vector(v), Value::Vector(w)) => {
                if Rc::ptr_eq(v, w) {
                    continue;
                }
                let (v, w) = (v.items.borrow(), w.items.borrow());
                if v.len() != w.len() {
                    return false;
                }
                for (i, j) in v.iter().zip(w.iter()).rev() {
                    work.push((i.clone(), j.clone()));
                }
            }
            _ => {
                if !eqv(&x, &y) {
                    return false;
                }
            }
        }
    }
    true
}
