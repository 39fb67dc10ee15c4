//! Scheme values, symbols, errors, memory accounting and the structural helpers (lists,
//! equality) every other module uses.
//!
//! Values are reference counted. Two things keep them from trapping the guest:
//! - every allocation is counted ([`Counting`]), and bulk allocations first ask [`reserve`], so
//!   running out of the session's memory is a Scheme error ("out of memory"), not a trap;
//! - containers drop their children through a queue ([`release`]), so freeing a million-element
//!   list or a deep chain of closures never recurses on the (small) native stack.
//! To add a kind of value: a variant of [`Value`], its `write` form in printer.rs, (if it
//! holds other values) a case in [`release`], and (if it can be written as a literal and
//! changed) a mark in [`make_literal`] checked by its mutators ([`check_mutable`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::eval::{charge, Closure, Primitive};
use crate::objects::{Cont, Param, Promise, Record, RecordType};
use crate::ports::Port;
use crate::tables::HashTable;

// ---------------------------------------------------------------------------------------------
// Memory accounting

/// Wraps the allocator to count live bytes as the allocator spends them (header and alignment
/// included), so the limit checks see temporaries and interpreter structures too, not only data.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// What dlmalloc spends on a request of `size` bytes: a 4-byte header, 8-byte alignment.
fn chunk(size: usize) -> usize {
    ((size + 4).max(16) + 7) & !7
}

// Safety: every call is passed through to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        ALLOCATED.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            ALLOCATED.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
            ALLOCATED.fetch_add(chunk(new_size), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Used when the host does not say the session's memory limit.
const DEFAULT_MEMORY: usize = 64 * 1024 * 1024;

/// Bytes the shell may allocate; set from the session's memory limit at start.
static HEAP_LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_MEMORY);
static SESSION_MEMORY: AtomicUsize = AtomicUsize::new(DEFAULT_MEMORY);

/// Sizes the heap from the session's memory limit (`None`: the host did not say). Besides the
/// heap, the guest's memory holds the code's static data and stack (about 250 KiB) and the
/// allocator's free chunks, which a fragmented heap cannot always reuse for a large request:
/// an eighth of the limit is kept for those (measured: building and dropping lists and vectors
/// near the limit in turn stayed below it).
pub fn set_memory_limit(session: Option<usize>, declared_max: usize) {
    let total = session.unwrap_or(DEFAULT_MEMORY).min(declared_max);
    SESSION_MEMORY.store(total, Ordering::Relaxed);
    HEAP_LIMIT.store((total - total / 8).saturating_sub(256 * 1024), Ordering::Relaxed);
}

pub fn heap_used() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

pub fn heap_limit() -> usize {
    HEAP_LIMIT.load(Ordering::Relaxed)
}

/// Fails unless `bytes` more fit under the heap limit; called before every bulk allocation.
/// Work in a primitive is proportional to what it allocates, so this also spends the fuel
/// that decides when to ask the host whether to stop (eval.rs, [`charge`]).
pub fn reserve(bytes: usize) -> R<()> {
    charge(bytes / 256)?;
    if heap_used().saturating_add(bytes) > heap_limit() {
        Err(out_of_memory())
    } else {
        Ok(())
    }
}

/// [`reserve`] for `n` values of `size` bytes each.
pub fn reserve_n(n: usize, size: usize) -> R<()> {
    reserve(n.saturating_mul(size))
}

/// A vector with room for `n` items, or "out of memory" when the allocator has no block that
/// large (a fragmented heap may lack one even under the limit): never an abort.
pub fn vec_with_capacity<T>(n: usize) -> R<Vec<T>> {
    reserve_n(n, std::mem::size_of::<T>())?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| out_of_memory())?;
    Ok(v)
}

/// [`vec_with_capacity`] for text.
pub fn string_with_capacity(n: usize) -> R<String> {
    reserve(n)?;
    let mut s = String::new();
    s.try_reserve_exact(n).map_err(|_| out_of_memory())?;
    Ok(s)
}

/// What one pair costs the allocator.
pub fn pair_bytes() -> usize {
    chunk(std::mem::size_of::<Pair>() + 2 * std::mem::size_of::<usize>())
}

pub fn out_of_memory() -> Error {
    error(format!(
        "out of memory (Scheme data is limited to {} MiB of the session's {} MiB)",
        heap_limit() >> 20,
        SESSION_MEMORY.load(Ordering::Relaxed) >> 20
    ))
}

/// Native stack kept free below the deepest recursion (reader, compiler, printer, macro
/// expansion): each of them stops with an error when less is left. wasm-ld puts the stack
/// first in memory, growing down towards address 0, so the address of a local tells the room.
const STACK_RESERVE: usize = 8 * 1024;

#[cfg(target_arch = "wasm32")]
pub fn stack_exhausted() -> bool {
    let marker = 0u8;
    (&marker as *const u8 as usize) < STACK_RESERVE
}

#[cfg(not(target_arch = "wasm32"))]
pub fn stack_exhausted() -> bool {
    false
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
    /// The host asked the step to stop (CPU deadline, operator's cancel): not catchable, so a
    /// runaway loop inside `guard` stops too. The message is the host's.
    Interrupt(String),
}

pub type R<T> = Result<T, Error>;

pub struct ErrorObj {
    pub message: String,
    pub irritants: Vec<Value>,
}

impl Drop for ErrorObj {
    fn drop(&mut self) {
        release_all(&mut self.irritants);
    }
}

pub fn error(message: impl Into<String>) -> Error {
    Error::Raise(Box::new(Value::Error(Rc::new(ErrorObj { message: message.into(), irritants: Vec::new() }))))
}

/// An error object as a value.
pub fn error_value(message: String) -> Value {
    Value::Error(Rc::new(ErrorObj { message, irritants: Vec::new() }))
}

pub fn fail<T>(message: impl Into<String>) -> R<T> {
    Err(error(message))
}

// ---------------------------------------------------------------------------------------------
// Symbols

/// An interned name: equal names share one allocation, so comparison is a pointer comparison.
/// Macro expansion makes *aliases*: symbols printed like their original but distinct from it,
/// which remember where the macro was defined (see syntax.rs).
#[derive(Clone)]
pub struct Symbol(Rc<SymbolName>);

pub struct SymbolName {
    name: Box<str>,
    alias: Option<Alias>,
}

/// What a symbol inserted by a macro template stands for.
pub struct Alias {
    /// The template's symbol (itself possibly an alias).
    pub original: Symbol,
    /// How many compile-time scopes enclosed the macro's definition: the alias means what
    /// `original` means there.
    pub scopes: usize,
}

type FixedHasher = BuildHasherDefault<DefaultHasher>;

/// Interned symbols, held weakly: a program that makes symbols from data in a loop does not
/// keep them all alive. Dead entries are swept when the table has doubled.
struct SymbolTable {
    map: HashMap<Box<str>, Weak<SymbolName>, FixedHasher>,
    sweep_at: usize,
}

thread_local! {
    static SYMBOLS: RefCell<SymbolTable> = RefCell::new(SymbolTable { map: HashMap::default(), sweep_at: 256 });
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
                table.sweep_at = (2 * table.map.len()).max(256);
            }
            symbol
        })
    }

    /// A symbol equal to no other, even one with the same name (for compiler-made variables).
    pub fn fresh(name: &str) -> Symbol {
        Symbol(Rc::new(SymbolName { name: name.into(), alias: None }))
    }

    pub fn alias(original: &Symbol, scopes: usize) -> Symbol {
        Symbol(Rc::new(SymbolName { name: original.name().into(), alias: Some(Alias { original: original.clone(), scopes }) }))
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn as_alias(&self) -> Option<&Alias> {
        self.0.alias.as_ref()
    }

    /// The symbol a chain of aliases started from.
    pub fn base(&self) -> Symbol {
        let mut s = self;
        while let Some(a) = s.as_alias() {
            s = &a.original;
        }
        s.clone()
    }

    pub fn ptr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
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
    Eof,
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
    /// `(values a b ...)` with other than one value.
    Values(Rc<ValueList>),
    Port(Rc<Port>),
    Record(Rc<Record>),
    RecordType(Rc<RecordType>),
    Promise(Rc<Promise>),
    Param(Rc<Param>),
    Cont(Rc<Cont>),
    Bytevector(Rc<crate::bytevectors::Bytevector>),
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
        matches!(self, Value::Prim(_) | Value::Closure(_) | Value::Param(_) | Value::Cont(_))
    }
}

/// Several values in flight, from `values` to `call-with-values`.
pub struct ValueList(pub Vec<Value>);

impl Drop for ValueList {
    fn drop(&mut self) {
        release_all(&mut self.0);
    }
}

/// A string; mutable (string-set!, string-fill!, string-copy!). Indexes count characters, so
/// the character count is remembered: with it, an ASCII string (count = bytes) is indexed
/// directly instead of scanned.
pub struct SString {
    text: RefCell<String>,
    chars: Cell<Option<usize>>,
}

impl SString {
    pub fn new(text: String) -> Rc<SString> {
        Rc::new(SString { text: RefCell::new(text), chars: Cell::new(None) })
    }

    pub fn borrow(&self) -> Ref<'_, String> {
        self.text.borrow()
    }

    /// Callers must not hold a [`borrow`] of the same string (copy the source first).
    pub fn borrow_mut(&self) -> RefMut<'_, String> {
        self.chars.set(None);
        self.text.borrow_mut()
    }

    pub fn char_count(&self) -> usize {
        match self.chars.get() {
            Some(n) => n,
            None => {
                let n = self.text.borrow().chars().count();
                self.chars.set(Some(n));
                n
            }
        }
    }

    /// After a change that kept the number of characters (string-set!).
    pub fn keep_char_count(&self, n: usize) {
        self.chars.set(Some(n));
    }

    pub fn is_ascii(&self) -> bool {
        self.char_count() == self.text.borrow().len()
    }
}

/// A mutable pair. Cells instead of RefCells: reads clone the value without running Scheme
/// code, so no borrow can be observed half-way.
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

    /// The cdr without cloning it (for walks that only look).
    pub fn cdr_ref(&self) -> &Value {
        // Safety: as in car; the reference must not outlive a set_cdr of this pair, which
        // callers (loops that do not run Scheme code) guarantee.
        unsafe { &*self.cdr.as_ptr() }
    }

    pub fn car_ref(&self) -> &Value {
        // Safety: as in cdr_ref.
        unsafe { &*self.car.as_ptr() }
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
        // The cdr first, so the car (queued last) is freed first: freeing a long list keeps
        // the queue short.
        release(self.cdr.replace(Value::Nil));
        release(self.car.replace(Value::Nil));
        drain_releases();
    }
}

pub fn cons(car: Value, cdr: Value) -> Value {
    Value::Pair(Rc::new(Pair { car: Cell::new(car), cdr: Cell::new(cdr) }))
}

pub struct Vector {
    pub items: RefCell<Vec<Value>>,
}

impl Vector {
    pub fn new(items: Vec<Value>) -> Value {
        Value::Vector(Rc::new(Vector { items: RefCell::new(items) }))
    }
}

impl Drop for Vector {
    fn drop(&mut self) {
        release_all(self.items.get_mut());
    }
}

// ---------------------------------------------------------------------------------------------
// Literal constants

/// A literal constant's mark: a weak reference to it, kept in [`LITERALS`].
enum Literal {
    Pair(Weak<Pair>),
    Vector(Weak<Vector>),
    Str(Weak<SString>),
    Bytes(Weak<crate::bytevectors::Bytevector>),
}

impl Literal {
    fn alive(&self) -> bool {
        match self {
            Literal::Pair(w) => w.strong_count() > 0,
            Literal::Vector(w) => w.strong_count() > 0,
            Literal::Str(w) => w.strong_count() > 0,
            Literal::Bytes(w) => w.strong_count() > 0,
        }
    }
}

/// The marks of the program's literal constants. Nothing else takes weak references to data,
/// so an object is a constant exactly when it has one ([`is_literal`]): the mark costs the
/// constants an entry here and every other pair nothing. Marks of constants that died are swept
/// when the table has doubled (their memory is held until then).
struct LiteralTable {
    marks: Vec<Literal>,
    sweep_at: usize,
}

/// Marks kept before the first sweep.
const LITERAL_SWEEP_MIN: usize = 1024;

thread_local! {
    static LITERALS: RefCell<LiteralTable> =
        RefCell::new(LiteralTable { marks: Vec::new(), sweep_at: LITERAL_SWEEP_MIN });
}

fn is_literal<T>(rc: &Rc<T>) -> bool {
    Rc::weak_count(rc) > 0
}

fn add_mark(mark: Literal) -> R<()> {
    reserve(std::mem::size_of::<Literal>())?;
    LITERALS.with(|table| {
        let mut table = table.borrow_mut();
        if table.marks.len() >= table.sweep_at {
            table.marks.retain(Literal::alive);
            table.sweep_at = (2 * table.marks.len()).max(LITERAL_SWEEP_MIN);
        }
        table.marks.try_reserve(1).map_err(|_| out_of_memory())?;
        table.marks.push(mark);
        Ok(())
    })
}

/// Makes `datum` (a quoted or self-evaluating datum of a program) and everything in it
/// constant: changing it is an error (R7RS 3.4). Shared and circular parts are walked once.
pub fn make_literal(datum: &Value) -> R<()> {
    // Lists are walked along their spine in a loop (a long list needs no stack), elements
    // that hold other values through `containers`.
    let mut containers = Vec::new();
    mark_item(datum, &mut containers)?;
    while let Some(container) = containers.pop() {
        let mut cur = container;
        loop {
            match cur {
                Value::Pair(p) if !is_literal(&p) => {
                    add_mark(Literal::Pair(Rc::downgrade(&p)))?;
                    mark_item(p.car_ref(), &mut containers)?;
                    cur = p.cdr();
                }
                Value::Vector(vec) if !is_literal(&vec) => {
                    add_mark(Literal::Vector(Rc::downgrade(&vec)))?;
                    for item in vec.items.borrow().iter() {
                        mark_item(item, &mut containers)?;
                    }
                    break;
                }
                // Already marked, with all it holds.
                Value::Pair(_) | Value::Vector(_) => break,
                // A dotted list's tail.
                other => {
                    mark_item(&other, &mut containers)?;
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Marks a string or bytevector (which hold no other values); leaves a pair or vector to
/// [`make_literal`]'s walk.
fn mark_item(v: &Value, containers: &mut Vec<Value>) -> R<()> {
    match v {
        Value::Pair(_) | Value::Vector(_) => {
            containers.push(v.clone());
            Ok(())
        }
        Value::Str(s) if !is_literal(s) => add_mark(Literal::Str(Rc::downgrade(s))),
        Value::Bytevector(b) if !is_literal(b) => add_mark(Literal::Bytes(Rc::downgrade(b))),
        _ => Ok(()),
    }
}

/// Fails when `who` is about to change `v` and `v` is a literal constant.
pub fn check_mutable(who: &str, v: &Value) -> R<()> {
    let copier = match v {
        Value::Pair(p) if is_literal(p) => "list-copy",
        Value::Vector(vec) if is_literal(vec) => "vector-copy",
        Value::Str(s) if is_literal(s) => "string-copy",
        Value::Bytevector(b) if is_literal(b) => "bytevector-copy",
        _ => return Ok(()),
    };
    fail(format!(
        "{}: {} is a literal constant and cannot be changed; change a copy ({} makes one)",
        who,
        crate::printer::write_short(v),
        copier
    ))
}

// ---------------------------------------------------------------------------------------------
// Drop without recursion

thread_local! {
    /// Single values waiting to be dropped, and whole vectors of them (a vector's or frame's
    /// slots are queued as one entry, so freeing a wide container costs no queue space).
    static RELEASED: RefCell<Vec<Value>> = RefCell::new(Vec::new());
    static RELEASED_VECS: RefCell<Vec<Vec<Value>>> = RefCell::new(Vec::new());
    static DRAINING: Cell<bool> = Cell::new(false);
}

/// Whether dropping `v` would free a container (which may free further containers).
#[inline]
fn frees_container(v: &Value) -> bool {
    match v {
        Value::Pair(rc) => Rc::strong_count(rc) == 1,
        Value::Vector(rc) => Rc::strong_count(rc) == 1,
        Value::Closure(rc) => Rc::strong_count(rc) == 1,
        Value::Hash(rc) => Rc::strong_count(rc) == 1,
        Value::Error(rc) => Rc::strong_count(rc) == 1,
        Value::Values(rc) => Rc::strong_count(rc) == 1,
        Value::Record(rc) => Rc::strong_count(rc) == 1,
        Value::Promise(rc) => Rc::strong_count(rc) == 1,
        Value::Param(rc) => Rc::strong_count(rc) == 1,
        _ => false,
    }
}

/// Drops a container's child: values that would free further containers wait in a queue, which
/// [`drain_releases`] empties iteratively.
#[inline]
pub fn release(v: Value) -> bool {
    let last_owner = frees_container(&v);
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
        if let Some(v) = RELEASED.with(|q| q.borrow_mut().pop()) {
            drop(v);
            continue;
        }
        let next = RELEASED_VECS.with(|q| {
            let mut q = q.borrow_mut();
            loop {
                match q.last_mut() {
                    Some(vec) => match vec.pop() {
                        Some(v) => return Some(v),
                        None => {
                            q.pop();
                        }
                    },
                    None => return None,
                }
            }
        });
        match next {
            Some(v) => drop(v),
            None => break,
        }
    }
    DRAINING.with(|d| d.set(false));
}

/// Frees a container's values through the queue.
pub fn release_all(values: &mut Vec<Value>) {
    if values.iter().any(frees_container) {
        let values = std::mem::take(values);
        RELEASED_VECS.with(|q| q.borrow_mut().push(values));
        drain_releases();
    } else {
        values.clear();
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
    let n = match list_length(list) {
        Some(n) => n,
        None => {
            return if is_circular(list) {
                fail(format!("{}: circular list", who))
            } else {
                fail(format!("{}: expected a proper list, got {}", who, crate::printer::write_short(list)))
            };
        }
    };
    charge(n / 16)?;
    let mut items = vec_with_capacity(n)?;
    let mut cur = list;
    while let Value::Pair(p) = cur {
        items.push(p.car());
        cur = p.cdr_ref();
    }
    Ok(items)
}

/// Length of a proper list, or None for an improper or circular one.
pub fn list_length(list: &Value) -> Option<usize> {
    let mut n = 0usize;
    let mut cur = list;
    // Floyd's check: `slow` advances every other step, meeting `cur` only on a cycle.
    let mut slow = list;
    loop {
        match cur {
            Value::Nil => return Some(n),
            Value::Pair(p) => {
                n += 1;
                cur = p.cdr_ref();
                if n % 2 == 0 {
                    if let Value::Pair(s) = slow {
                        slow = s.cdr_ref();
                    }
                    if let (Value::Pair(a), Value::Pair(b)) = (cur, slow) {
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

/// Whether following the cdrs of `list` never ends.
pub fn is_circular(list: &Value) -> bool {
    let (mut fast, mut slow) = (list, list);
    loop {
        for _ in 0..2 {
            match fast {
                Value::Pair(p) => fast = p.cdr_ref(),
                _ => return false,
            }
        }
        if let Value::Pair(s) = slow {
            slow = s.cdr_ref();
        }
        if let (Value::Pair(a), Value::Pair(b)) = (fast, slow) {
            if Rc::ptr_eq(a, b) {
                return true;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Equality

pub fn eqv(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Unspecified, Value::Unspecified) => true,
        (Value::Eof, Value::Eof) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
        (Value::Char(x), Value::Char(y)) => x == y,
        (Value::Sym(x), Value::Sym(y)) => x == y,
        (Value::Prim(x), Value::Prim(y)) => std::ptr::eq(*x, *y),
        _ => match (identity(a), identity(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// The address of an object compared by identity (for eqv? and identity hash tables).
pub fn identity(v: &Value) -> Option<usize> {
    Some(match v {
        Value::Str(x) => Rc::as_ptr(x) as usize,
        Value::Pair(x) => Rc::as_ptr(x) as usize,
        Value::Vector(x) => Rc::as_ptr(x) as usize,
        Value::Closure(x) => Rc::as_ptr(x) as usize,
        Value::Hash(x) => Rc::as_ptr(x) as usize,
        Value::Error(x) => Rc::as_ptr(x) as usize,
        Value::FrameLambda(x) => Rc::as_ptr(x) as usize,
        Value::Values(x) => Rc::as_ptr(x) as usize,
        Value::Port(x) => Rc::as_ptr(x) as usize,
        Value::Record(x) => Rc::as_ptr(x) as usize,
        Value::RecordType(x) => Rc::as_ptr(x) as usize,
        Value::Promise(x) => Rc::as_ptr(x) as usize,
        Value::Param(x) => Rc::as_ptr(x) as usize,
        Value::Cont(x) => Rc::as_ptr(x) as usize,
        Value::Bytevector(x) => Rc::as_ptr(x) as usize,
        Value::Prim(p) => *p as *const Primitive as usize,
        _ => return None,
    })
}

/// Comparisons after which [`equal`] starts remembering which pairs of containers it has met.
const PLAIN_EQUAL_STEPS: usize = 100_000;

/// Structural equality with an explicit work list instead of recursion. It terminates on
/// circular structures: after many steps it switches to remembering the pairs of containers
/// already being compared and treats a pair met again as equal (two cycles of the same shape
/// are equal).
pub fn equal(a: &Value, b: &Value) -> R<bool> {
    match equal_walk(a, b, None)? {
        Some(answer) => Ok(answer),
        None => {
            let mut seen = HashSet::new();
            Ok(equal_walk(a, b, Some(&mut seen))?.unwrap_or(false))
        }
    }
}

/// Makes room in equal?'s work list, or fails with "out of memory" (never an abort).
fn grow_work(work: &mut Vec<(Value, Value)>) -> R<()> {
    let more = work.capacity().max(1024);
    reserve_n(2 * more, std::mem::size_of::<(Value, Value)>())?;
    work.try_reserve(more).map_err(|_| out_of_memory())
}

/// None: gave up after [`PLAIN_EQUAL_STEPS`] without `seen`.
fn equal_walk(a: &Value, b: &Value, mut seen: Option<&mut HashSet<(usize, usize)>>) -> R<Option<bool>> {
    let mut work = vec![(a.clone(), b.clone())];
    let mut steps = 0usize;
    while let Some((x, y)) = work.pop() {
        steps += 1;
        if steps % 1024 == 0 {
            charge(64)?;
            if seen.is_none() && steps > PLAIN_EQUAL_STEPS {
                return Ok(None);
            }
        }
        let container = matches!((&x, &y), (Value::Pair(_), Value::Pair(_)) | (Value::Vector(_), Value::Vector(_)));
        if container {
            if let (Some(set), Some(p), Some(q)) = (seen.as_deref_mut(), identity(&x), identity(&y)) {
                if set.len() == set.capacity() {
                    // Two huge structures: the set may not fit beside them.
                    let more = set.capacity().max(1024);
                    reserve_n(2 * more, 3 * std::mem::size_of::<(usize, usize)>())?;
                    set.try_reserve(more).map_err(|_| out_of_memory())?;
                }
                if !set.insert((p, q)) {
                    continue;
                }
            }
        }
        match (&x, &y) {
            (Value::Pair(p), Value::Pair(q)) => {
                if Rc::ptr_eq(p, q) {
                    continue;
                }
                if work.capacity() - work.len() < 2 {
                    grow_work(&mut work)?;
                }
                work.push((p.cdr(), q.cdr()));
                work.push((p.car(), q.car()));
            }
            (Value::Str(s), Value::Str(t)) => {
                if *s.borrow() != *t.borrow() {
                    return Ok(Some(false));
                }
            }
            (Value::Bytevector(s), Value::Bytevector(t)) => {
                if *s.bytes.borrow() != *t.bytes.borrow() {
                    return Ok(Some(false));
                }
            }
            (Value::Vector(v), Value::Vector(w)) => {
                if Rc::ptr_eq(v, w) {
                    continue;
                }
                let (v, w) = (v.items.borrow(), w.items.borrow());
                if v.len() != w.len() {
                    return Ok(Some(false));
                }
                while work.capacity() - work.len() < v.len() {
                    grow_work(&mut work)?;
                }
                for (i, j) in v.iter().zip(w.iter()).rev() {
                    work.push((i.clone(), j.clone()));
                }
            }
            _ => {
                if !eqv(&x, &y) {
                    return Ok(Some(false));
                }
            }
        }
    }
    Ok(Some(true))
}
