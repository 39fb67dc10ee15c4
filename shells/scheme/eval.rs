//! The evaluator: a loop over compiled nodes with an explicit continuation stack.
//!
//! Nothing a Scheme program does recurses on the native stack (wasmtime gives guests about
//! 512 KiB of it): a pending non-tail evaluation is a [`Kont`] on `konts`, and argument values
//! wait on `vstack`. Tail calls replace the current node and frame, so loops run in constant
//! space; deep non-tail recursion grows `konts` until [`MAX_DEPTH`] and then fails cleanly.
//! Calls of primitives whose arguments are variables or constants are done in place, without
//! touching the continuation stack: that keeps ordinary loops fast.
//!
//! The control features live here too, as markers on `konts`: guard and exception handlers,
//! escape-only continuations, dynamic-wind and parameterize. Every closure call (and every long
//! primitive, through [`charge`]) spends fuel; when it runs out the host is asked whether the
//! step must stop ([`Error::Interrupt`]), which unwinds to the REPL past every handler.

use std::cell::RefCell;
use std::rc::Rc;

use crate::compile::{CaseBody, Compiler, Global, Globals, LambdaInfo, Node, NodeRef};
use crate::printer::write_short;
use crate::objects::{Cont, Param};
use crate::ports::{Port, PortKind};
use crate::value::{
    cons, eqv, error, fail, heap_limit, heap_used, list_to_vec, out_of_memory, release_all, reserve_n, Error, Symbol, Value,
    ValueList, R,
};

/// Deepest chain of pending (non-tail) evaluations.
pub const MAX_DEPTH: usize = 100_000;
/// Output one input line may produce; the host's per-step cap is 1 MiB.
pub const MAX_OUTPUT: usize = 1_000_000;

/// Work units (closure calls; primitives charge by the size of what they walk) between two
/// questions to the host whether to stop. One question costs a few microseconds; 4,096 calls
/// take about a millisecond, so polling costs well under 1% and a stop is seen within ~2 ms.
const POLL_INTERVAL: i32 = 4096;

/// Work units left before the next question to the host.
static mut FUEL: i32 = POLL_INTERVAL;

/// While above zero, running out of fuel does not ask the host (see [`uninterrupted`]).
static mut HOLD: u32 = 0;

/// Spends `cost` work units; when the fuel runs out, asks the host whether to stop.
#[inline]
pub fn charge(cost: usize) -> R<()> {
    // Safety: the guest is single-threaded.
    let left = unsafe {
        FUEL -= cost.min(POLL_INTERVAL as usize) as i32;
        FUEL
    };
    if left > 0 {
        Ok(())
    } else {
        poll()
    }
}

/// Runs `f` (a short, bounded job such as compiling a library procedure) without stopping for
/// an interruption half-way, so that it never leaves a half-made result behind.
pub fn uninterrupted<T>(f: impl FnOnce() -> T) -> T {
    // Safety: as in charge.
    unsafe { HOLD += 1 };
    let result = f();
    unsafe { HOLD -= 1 };
    result
}

#[cold]
fn poll() -> R<()> {
    // Safety: as in charge.
    unsafe {
        FUEL = POLL_INTERVAL;
        if HOLD > 0 {
            return Ok(());
        }
    }
    match opshell_guest::interrupted() {
        Some(message) => Err(Error::Interrupt(message)),
        None => Ok(()),
    }
}

pub type PrimFn = fn(&mut Interp, &[Value]) -> R<Value>;

/// How the evaluator treats a primitive.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// An ordinary function of its arguments.
    No,
    /// `apply`: calls its first argument in place (a proper tail call).
    Apply,
    /// `eval`: compiles its argument and continues with it.
    Eval,
    /// `call/cc`, `call/ec`: calls its argument with an escape-only continuation.
    CallCC,
    /// `(dynamic-wind before thunk after)`.
    DynamicWind,
    /// `(with-exception-handler handler thunk)`.
    WithHandler,
    /// `(raise-continuable obj)`: calls the current handler and returns its value.
    RaiseContinuable,
    /// `(%with-parameters params values thunk)`: parameterize, values already converted.
    WithParameters,
}

pub struct Primitive {
    pub name: &'static str,
    pub min_args: usize,
    /// None: any number from `min_args` up.
    pub max_args: Option<usize>,
    pub func: PrimFn,
    pub special: Special,
}

pub type Env = Rc<Frame>;

/// The variables of one lambda call or let.
pub struct Frame {
    pub slots: RefCell<Vec<Value>>,
    pub parent: Option<Env>,
}

impl Frame {
    pub fn new(slots: Vec<Value>, parent: Option<Env>) -> Env {
        Rc::new(Frame { slots: RefCell::new(slots), parent })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        release_all(self.slots.get_mut());
    }
}

pub struct Closure {
    pub info: Rc<LambdaInfo>,
    pub env: Env,
}

impl Closure {
    pub fn new(info: Rc<LambdaInfo>, env: Env) -> Value {
        Value::Closure(Rc::new(Closure { info, env }))
    }
}

/// What to do with the value of a sub-evaluation.
enum Kont {
    /// Choose a branch of the `If` node.
    If { node: NodeRef, env: Env },
    /// Continue the `Seq` node at `next`.
    Seq { node: NodeRef, next: usize, env: Env },
    /// Push the value, then evaluate the `Call` node's parts from `next` (0 is the operator).
    /// The call's values sit on `vstack` from `base`.
    Args { node: NodeRef, next: usize, base: usize, env: Env },
    /// Push the value, then evaluate `Let` inits from `next`.
    Let { node: NodeRef, next: usize, base: usize, env: Env },
    /// Store the value in slot `next - 1` of `env` (the new frame), then go on from `next`.
    Letrec { node: NodeRef, next: usize, env: Env },
    SetLocal { node: NodeRef, env: Env },
    SetGlobal { cell: Rc<Global>, define: bool },
    And { node: NodeRef, next: usize, env: Env },
    Or { node: NodeRef, next: usize, env: Env },
    /// The test of a `=>` clause.
    CondArrow { node: NodeRef, env: Env },
    /// The value is a procedure: call it with `arg`.
    CallWith { arg: Value },
    Case { node: NodeRef, env: Env },
    /// Marks a guard's body: errors raised above it are handled here.
    Guard { node: NodeRef, env: Env, vbase: usize },
    /// A guard's handler, to run once the `after` thunks of the winds it left have run.
    GuardHandler { node: NodeRef, env: Env, condition: Value },
    /// The extent of a `call/cc`: the continuation returns here while this is on the stack.
    Escape { cont: Rc<Cont>, vbase: usize },
    /// `dynamic-wind` after `before` returned: call the thunk inside a `Wind`.
    WindBody { thunk: Value, after: Value },
    /// Inside a `dynamic-wind`: `after` runs when control leaves.
    Wind { after: Value },
    /// Ignore the value and call a thunk (an `after` on the way out of a wind).
    ThenCall(Value),
    /// Ignore the value and return this one.
    ReturnValue(Value),
    /// Ignore the value and raise this object (after the `after` thunks an error left ran).
    Reraise(Box<Value>),
    /// `parameterize`: the values to put back when control leaves.
    Restore(Vec<(Rc<Param>, Value)>),
    /// `with-exception-handler`: raises above are handled by this procedure.
    Handler(Value),
    /// A handler is running: raises inside it go to the handlers below index `outer`.
    HandlerCall { outer: usize },
    /// The handler of a non-continuable raise returned: that is an error (in the handler's
    /// dynamic environment, so handlers below `outer`).
    HandlerReturned { outer: usize },
}

enum Step {
    Eval(NodeRef, Env),
    Return(Value),
    /// Raise this object to the handlers below konts index `.1`.
    RaiseBelow(Box<Value>, usize),
}

pub struct Interp {
    pub globals: Globals,
    konts: Vec<Kont>,
    vstack: Vec<Value>,
    top_env: Env,
    /// The current output port (`current-output-port`), a parameter so that
    /// `with-output-to-string` and `parameterize` can redirect it.
    pub output: Rc<Param>,
    /// Output of `display` and friends, moved to the operator after each top-level form.
    pub out: String,
    /// Bytes of output the current input line produced so far.
    pub out_total: usize,
    pub rng_state: u64,
}

fn internal<T>(what: &str) -> R<T> {
    fail(format!("internal error: {}", what))
}

impl Interp {
    pub fn new() -> Interp {
        let globals = Globals::new();
        let top_env = globals.top_env();
        let console = Value::Port(Port::new(PortKind::Console));
        Interp {
            globals,
            konts: Vec::new(),
            vstack: Vec::new(),
            top_env,
            output: Rc::new(Param { value: RefCell::new(console), converter: Value::Bool(false) }),
            out: String::new(),
            out_total: 0,
            rng_state: 0,
        }
    }

    /// Appends output, failing once the line's output passes [`MAX_OUTPUT`].
    pub fn emit(&mut self, text: &str) -> R<()> {
        self.out_total += text.len();
        if self.out_total > MAX_OUTPUT {
            return fail(format!("output limit reached ({} bytes per input line); evaluation stopped", MAX_OUTPUT));
        }
        self.out.push_str(text);
        Ok(())
    }

    /// Compiles and evaluates one top-level datum.
    pub fn eval_toplevel(&mut self, datum: &Value) -> R<Value> {
        let node = Compiler::new(&mut self.globals).compile_toplevel(datum)?;
        self.run(node)
    }

    fn run(&mut self, node: NodeRef) -> R<Value> {
        let kbase = self.konts.len();
        let vbase = self.vstack.len();
        let mut step = Step::Eval(node, self.top_env.clone());
        loop {
            let next = match step {
                Step::Eval(node, env) => self.eval(node, env),
                Step::Return(value) => {
                    if self.konts.len() <= kbase {
                        return Ok(value);
                    }
                    match self.konts.pop() {
                        Some(k) => self.resume(k, value),
                        None => return Ok(value),
                    }
                }
                Step::RaiseBelow(condition, below) => match self.raise(*condition, below, kbase) {
                    Ok(s) => Ok(s),
                    Err(e) => {
                        // No handler below: the error leaves, it is not raised again.
                        self.unwind(kbase, vbase);
                        return Err(e);
                    }
                },
            };
            step = match next {
                Ok(s) => s,
                Err(Error::Raise(condition)) => match self.raise(*condition, usize::MAX, kbase) {
                    Ok(s) => s,
                    Err(e) => {
                        self.unwind(kbase, vbase);
                        return Err(e);
                    }
                },
                Err(e) => {
                    // exit and interrupts: no handler sees them, no Scheme code runs.
                    self.unwind(kbase, vbase);
                    return Err(e);
                }
            };
        }
    }

    fn unwind(&mut self, kbase: usize, vbase: usize) {
        self.unwind_to(kbase);
        self.vstack.truncate(vbase);
    }

    /// Pops the continuation stack down to `len`, putting parameters back on the way; returns
    /// the `after` thunks of the winds left, innermost first.
    fn unwind_to(&mut self, len: usize) -> Vec<Value> {
        let mut afters = Vec::new();
        // Frames can own long chains: drop them one at a time, not all in one Vec drop.
        while self.konts.len() > len {
            match self.konts.pop() {
                Some(Kont::Restore(saved)) => restore(saved),
                Some(Kont::Wind { after }) => afters.push(after),
                _ => {}
            }
        }
        afters
    }

    /// Continues after leaving winds: their `after` thunks run first (innermost first), then
    /// the konts on top of the stack now take `value`.
    fn after_winds(&mut self, afters: Vec<Value>, then: Kont) -> R<Step> {
        if afters.is_empty() {
            return Ok(Step::Return(match then {
                Kont::ReturnValue(v) => v,
                other => {
                    self.push(other)?;
                    Value::Unspecified
                }
            }));
        }
        self.push(then)?;
        for after in afters.into_iter().rev() {
            self.push(Kont::ThenCall(after))?;
        }
        Ok(Step::Return(Value::Unspecified))
    }

    /// Index of the innermost guard or handler below konts index `below` and at or above `kbase`,
    /// skipping the handlers a running handler is itself inside.
    fn find_handler(&self, below: usize, kbase: usize) -> Option<usize> {
        let mut i = below.min(self.konts.len());
        while i > kbase {
            i -= 1;
            match &self.konts[i] {
                Kont::Guard { .. } | Kont::Handler(_) => return Some(i),
                Kont::HandlerCall { outer } | Kont::HandlerReturned { outer } => i = (*outer).max(kbase),
                _ => {}
            }
        }
        None
    }

    /// Hands a raised object to the innermost guard or exception handler below konts index
    /// `below`; without one, the error leaves (after the `after` thunks of open winds ran).
    fn raise(&mut self, condition: Value, below: usize, kbase: usize) -> R<Step> {
        let at = match self.find_handler(below, kbase) {
            Some(at) => at,
            None => {
                let winds = self.konts[kbase.min(self.konts.len())..].iter().any(|k| matches!(k, Kont::Wind { .. }));
                if !winds {
                    return Err(Error::Raise(Box::new(condition)));
                }
                let afters = self.unwind_to(kbase);
                return self.after_winds(afters, Kont::Reraise(Box::new(condition)));
            }
        };
        if let Kont::Handler(handler) = &self.konts[at] {
            // The handler runs where the raise happened, with the outer handlers in force.
            let handler = handler.clone();
            self.push(Kont::HandlerReturned { outer: at })?;
            self.push(Kont::HandlerCall { outer: at })?;
            return self.call(handler, vec![condition]);
        }
        let afters = self.unwind_to(at + 1);
        match self.konts.pop() {
            Some(Kont::Guard { node, env, vbase }) => {
                self.vstack.truncate(vbase);
                self.after_winds(afters, Kont::GuardHandler { node, env, condition })
            }
            _ => internal("guard continuation"),
        }
    }

    /// Calls procedure `f` with `args` (from a continuation, not from a Call node).
    fn call(&mut self, f: Value, args: Vec<Value>) -> R<Step> {
        let base = self.vstack.len();
        self.vstack.push(f);
        self.vstack.extend(args);
        self.apply(base, None)
    }

    fn push(&mut self, k: Kont) -> R<()> {
        if self.konts.len() == self.konts.capacity() {
            if self.konts.len() >= MAX_DEPTH {
                return fail(format!("recursion too deep (limit {})", MAX_DEPTH));
            }
            // Growing copies the stack: make sure both copies fit.
            reserve_n(3 * self.konts.capacity().max(16), std::mem::size_of::<Kont>())?;
            self.konts.reserve_exact(self.konts.capacity().max(16).min(MAX_DEPTH - self.konts.len()));
        }
        self.konts.push(k);
        Ok(())
    }

    /// Values of nodes that need no evaluation step: constants, variables, lambdas.
    #[inline]
    fn simple(&mut self, node: &Node, env: &Env) -> R<Option<Value>> {
        match fast(node, env) {
            Some(v) => Ok(Some(v)),
            None => self.simple_slow(node, env),
        }
    }

    /// [`simple`] for lambdas, and the errors of unbound or unassigned variables.
    #[inline(never)]
    fn simple_slow(&mut self, node: &Node, env: &Env) -> R<Option<Value>> {
        Ok(Some(match node {
            Node::Const(v) => v.clone(),
            Node::Local { depth, index, name } => match local(env, *depth, *index) {
                Some(Value::Unassigned) | None => return Err(used_before_definition(name)),
                Some(Value::FrameLambda(info)) => match frame_at(env, *depth) {
                    Some(frame) => Closure::new(info, frame.clone()),
                    None => return internal("frame depth"),
                },
                Some(v) => v,
            },
            Node::Global(cell) => {
                let v = cell.value.borrow().clone();
                if let Value::Unassigned = v {
                    // A library procedure is compiled when first run, here, where the native
                    // stack is shallow.
                    return match self.globals.autoload(cell) {
                        Some(v) => Ok(Some(v)),
                        None => Err(unbound(cell)),
                    };
                }
                v
            }
            Node::Lambda(info) => Closure::new(info.clone(), env.clone()),
            _ => return Ok(None),
        }))
    }

    /// Like [`simple`], and also calls of ordinary primitives on simple arguments.
    fn inline(&mut self, node: &Node, env: &Env) -> R<Option<Value>> {
        if let Node::Call(f, args, simple_args) = node {
            if !simple_args {
                return Ok(None);
            }
            let p = match self.simple(f, env)? {
                Some(Value::Prim(p)) if p.special == Special::No => p,
                _ => return Ok(None),
            };
            let base = self.vstack.len();
            for a in args {
                if let Some(v) = fast(a, env) {
                    self.vstack.push(v);
                    continue;
                }
                match self.simple(a, env) {
                    Ok(Some(v)) => self.vstack.push(v),
                    Ok(None) => {
                        self.vstack.truncate(base);
                        return internal("inline argument");
                    }
                    Err(e) => {
                        self.vstack.truncate(base);
                        return Err(e);
                    }
                }
            }
            return self.call_primitive(p, base, base).map(Some);
        }
        self.simple(node, env)
    }

    /// Calls `p` with the values on `vstack` from `args`, then pops the stack to `pop_to`.
    fn call_primitive(&mut self, p: &'static Primitive, args: usize, pop_to: usize) -> R<Value> {
        let n = self.vstack.len().saturating_sub(args);
        if n < p.min_args || p.max_args.map_or(false, |max| n > max) {
            self.vstack.truncate(pop_to);
            return Err(arity_error(p.name, p.min_args, p.max_args, n));
        }
        // The primitive borrows the arguments while holding the interpreter: lend it the stack.
        let stack = std::mem::take(&mut self.vstack);
        let result = (p.func)(self, stack.get(args..).unwrap_or(&[]));
        self.vstack = stack;
        self.vstack.truncate(pop_to);
        result
    }

    /// Evaluates `node` until it needs a sub-evaluation or has a value.
    // Not inlined, nor are resume, apply and control: on Chicory each Wasm function becomes one JVM
    // method, and merged into `run` they made one that HotSpot compiled late and unevenly
    // ((fib 25): 600-800 ms merged, 470-680 ms apart; wasmtime unchanged at 160-300 ms).
    #[inline(never)]
    fn eval(&mut self, mut node: NodeRef, mut env: Env) -> R<Step> {
        loop {
            let next: NodeRef = match &*node {
                Node::Const(_) | Node::Local { .. } | Node::Global(_) | Node::Lambda(_) => {
                    return match self.simple(&node, &env)? {
                        Some(v) => Ok(Step::Return(v)),
                        None => internal("simple node"),
                    };
                }
                Node::If(test, then, otherwise) => match self.inline(test, &env)? {
                    Some(v) => {
                        if v.is_true() {
                            then.clone()
                        } else {
                            otherwise.clone()
                        }
                    }
                    None => {
                        let test = test.clone();
                        self.push(Kont::If { node: node.clone(), env: env.clone() })?;
                        test
                    }
                },
                Node::Seq(body) => {
                    let first = match body.first() {
                        Some(f) => f.clone(),
                        None => return Ok(Step::Return(Value::Unspecified)),
                    };
                    self.push(Kont::Seq { node: node.clone(), next: 1, env: env.clone() })?;
                    first
                }
                Node::Call(f, _, _) => {
                    let base = self.vstack.len();
                    match self.simple(f, &env)? {
                        Some(v) => self.vstack.push(v),
                        None => {
                            let f = f.clone();
                            self.push(Kont::Args { node: node.clone(), next: 1, base, env: env.clone() })?;
                            node = f;
                            continue;
                        }
                    }
                    match self.call_args(node, 1, base, env)? {
                        Step::Eval(n, e) => {
                            node = n;
                            env = e;
                            continue;
                        }
                        ret => return Ok(ret),
                    }
                }
                Node::SetLocal { value, .. } => match self.inline(value, &env)? {
                    Some(v) => return self.set_local(&node, &env, v),
                    None => {
                        let value = value.clone();
                        self.push(Kont::SetLocal { node: node.clone(), env: env.clone() })?;
                        value
                    }
                },
                Node::SetGlobal { cell, value } | Node::DefineGlobal { cell, value } => {
                    let define = matches!(*node, Node::DefineGlobal { .. });
                    match self.inline(value, &env)? {
                        Some(v) => return set_global(cell, define, v).map(Step::Return),
                        None => {
                            let value = value.clone();
                            self.push(Kont::SetGlobal { cell: cell.clone(), define })?;
                            value
                        }
                    }
                }
                Node::And(parts) | Node::Or(parts) => {
                    let first = match parts.first() {
                        Some(f) => f.clone(),
                        None => return Ok(Step::Return(Value::Bool(matches!(*node, Node::And(_))))),
                    };
                    let k = if matches!(*node, Node::And(_)) {
                        Kont::And { node: node.clone(), next: 1, env: env.clone() }
                    } else {
                        Kont::Or { node: node.clone(), next: 1, env: env.clone() }
                    };
                    self.push(k)?;
                    first
                }
                Node::Let { .. } => {
                    let base = self.vstack.len();
                    match self.let_inits(node, 0, base, env)? {
                        Step::Eval(n, e) => {
                            node = n;
                            env = e;
                            continue;
                        }
                        ret => return Ok(ret),
                    }
                }
                Node::Letrec { frame_size, .. } => {
                    let frame = Frame::new(vec![Value::Unassigned; *frame_size], Some(env));
                    match self.letrec_inits(node, 0, frame)? {
                        Step::Eval(n, e) => {
                            node = n;
                            env = e;
                            continue;
                        }
                        ret => return Ok(ret),
                    }
                }
                Node::CondArrow { test, .. } => {
                    let test = test.clone();
                    self.push(Kont::CondArrow { node: node.clone(), env: env.clone() })?;
                    test
                }
                Node::Case { key, .. } => {
                    let key = key.clone();
                    self.push(Kont::Case { node: node.clone(), env: env.clone() })?;
                    key
                }
                Node::Guard { body, .. } => {
                    let body = body.clone();
                    self.push(Kont::Guard { node: node.clone(), env: env.clone(), vbase: self.vstack.len() })?;
                    body
                }
            };
            node = next;
        }
    }

    /// Continues with the value of a sub-evaluation.
    // The common continuations only; the rest are in `resume_other`, for the reason given at
    // `apply`.
    #[inline(never)]
    fn resume(&mut self, k: Kont, value: Value) -> R<Step> {
        match k {
            Kont::If { node, env } => match &*node {
                Node::If(_, then, otherwise) => {
                    Ok(Step::Eval(if value.is_true() { then.clone() } else { otherwise.clone() }, env))
                }
                _ => internal("if"),
            },
            Kont::Seq { node, next, env } => match &*node {
                Node::Seq(body) => {
                    let part = match body.get(next) {
                        Some(p) => p.clone(),
                        None => return internal("seq"),
                    };
                    if next + 1 < body.len() {
                        self.push(Kont::Seq { node: node.clone(), next: next + 1, env: env.clone() })?;
                    }
                    Ok(Step::Eval(part, env))
                }
                _ => internal("seq"),
            },
            Kont::Args { node, next, base, env } => {
                self.vstack.push(value);
                self.call_args(node, next, base, env)
            }
            Kont::Let { node, next, base, env } => {
                self.vstack.push(value);
                self.let_inits(node, next, base, env)
            }
            k => self.resume_other(k, value),
        }
    }

    /// [`resume`] for the less common continuations.
    #[inline(never)]
    fn resume_other(&mut self, k: Kont, value: Value) -> R<Step> {
        match k {
            Kont::If { .. } | Kont::Seq { .. } | Kont::Args { .. } | Kont::Let { .. } => internal("resume"),
            Kont::Letrec { node, next, env } => {
                store(&env, next - 1, value)?;
                self.letrec_inits(node, next, env)
            }
            Kont::SetLocal { node, env } => self.set_local(&node, &env, value),
            Kont::SetGlobal { cell, define } => set_global(&cell, define, value).map(Step::Return),
            Kont::And { node, next, env } | Kont::Or { node, next, env } => {
                let (parts, is_and) = match &*node {
                    Node::And(parts) => (parts, true),
                    Node::Or(parts) => (parts, false),
                    _ => return internal("and/or"),
                };
                if value.is_true() != is_and || next >= parts.len() {
                    return Ok(Step::Return(value));
                }
                let part = parts[next].clone();
                if next + 1 < parts.len() {
                    let k = if is_and {
                        Kont::And { node: node.clone(), next: next + 1, env: env.clone() }
                    } else {
                        Kont::Or { node: node.clone(), next: next + 1, env: env.clone() }
                    };
                    self.push(k)?;
                }
                Ok(Step::Eval(part, env))
            }
            Kont::CondArrow { node, env } => match &*node {
                Node::CondArrow { receiver, rest, .. } => {
                    if value.is_true() {
                        self.push(Kont::CallWith { arg: value })?;
                        Ok(Step::Eval(receiver.clone(), env))
                    } else {
                        Ok(Step::Eval(rest.clone(), env))
                    }
                }
                _ => internal("cond"),
            },
            Kont::CallWith { arg } => {
                let base = self.vstack.len();
                self.vstack.push(value);
                self.vstack.push(arg);
                self.apply(base, None)
            }
            Kont::Case { node, env } => match &*node {
                Node::Case { clauses, default, .. } => {
                    let body = clauses
                        .iter()
                        .find(|c| c.data.iter().any(|d| eqv(d, &value)))
                        .map(|c| &c.body)
                        .or(default.as_ref());
                    match body {
                        None => Ok(Step::Return(Value::Unspecified)),
                        Some(CaseBody::Exprs(body)) => Ok(Step::Eval(body.clone(), env)),
                        Some(CaseBody::Arrow(receiver)) => {
                            self.push(Kont::CallWith { arg: value })?;
                            Ok(Step::Eval(receiver.clone(), env))
                        }
                    }
                }
                _ => internal("case"),
            },
            Kont::Guard { .. } | Kont::Handler(_) | Kont::HandlerCall { .. } => Ok(Step::Return(value)),
            Kont::GuardHandler { node, env, condition } => match &*node {
                Node::Guard { handler, .. } => Ok(Step::Eval(handler.clone(), Frame::new(vec![condition], Some(env)))),
                _ => internal("guard node"),
            },
            Kont::Escape { cont, .. } => {
                cont.valid.set(false);
                Ok(Step::Return(value))
            }
            Kont::WindBody { thunk, after } => {
                self.push(Kont::Wind { after })?;
                self.call(thunk, Vec::new())
            }
            Kont::Wind { after } => {
                self.push(Kont::ReturnValue(value))?;
                self.call(after, Vec::new())
            }
            Kont::ThenCall(thunk) => self.call(thunk, Vec::new()),
            Kont::ReturnValue(v) => Ok(Step::Return(v)),
            Kont::Reraise(condition) => Ok(Step::RaiseBelow(condition, usize::MAX)),
            Kont::Restore(saved) => {
                restore(saved);
                Ok(Step::Return(value))
            }
            Kont::HandlerReturned { outer } => Ok(Step::RaiseBelow(
                Box::new(Value::Error(Rc::new(crate::value::ErrorObj {
                    message: "exception handler returned from a non-continuable raise:".to_string(),
                    irritants: vec![value],
                }))),
                outer,
            )),
        }
    }

    /// Evaluates the parts of a `Call` node from part `next` (part 0 is the operator, part
    /// i + 1 argument i), pushing their values, then applies.
    fn call_args(&mut self, node: NodeRef, next: usize, base: usize, env: Env) -> R<Step> {
        let args = match &*node {
            Node::Call(_, args, _) => args,
            _ => return internal("call"),
        };
        let first_arg = next.saturating_sub(1);
        for (i, a) in args.iter().enumerate().skip(first_arg) {
            if let Some(v) = fast(a, &env) {
                self.vstack.push(v);
                continue;
            }
            match self.inline(a, &env) {
                Ok(Some(v)) => self.vstack.push(v),
                Ok(None) => {
                    let a = a.clone();
                    if let Err(e) = self.push(Kont::Args { node: node.clone(), next: i + 2, base, env: env.clone() }) {
                        self.vstack.truncate(base);
                        return Err(e);
                    }
                    return Ok(Step::Eval(a, env));
                }
                Err(e) => {
                    self.vstack.truncate(base);
                    return Err(e);
                }
            }
        }
        self.apply(base, Some(env))
    }

    /// Applies the procedure at `vstack[base]` to the values above it. `recycle` is the frame
    /// of the caller, which a tail call may reuse for the callee when nothing else holds it.
    // Only the two common cases live here; the rest is in `apply_other`. On Chicory each Wasm
    // function becomes one JVM method, and with every case in it this one was big enough that
    // HotSpot's C1 sometimes gave up on it ("out of virtual registers"), leaving it without C2
    // code for the life of the server: (fib 25) then took 430-500 ms instead of 320-350.
    #[inline(never)]
    fn apply(&mut self, base: usize, recycle: Option<Env>) -> R<Step> {
        let f = match self.vstack.get_mut(base) {
            Some(slot) => std::mem::take(slot),
            None => return internal("apply"),
        };
        match f {
            Value::Prim(p) if p.special == Special::No => self.call_primitive(p, base + 1, base).map(Step::Return),
            Value::Closure(c) => {
                let body = c.info.body.clone();
                let env = self.bind(c, base, recycle)?;
                Ok(Step::Eval(body, env))
            }
            other => self.apply_other(other, base, recycle),
        }
    }

    /// [`apply`] for everything but ordinary primitives and closures.
    #[inline(never)]
    fn apply_other(&mut self, mut f: Value, base: usize, recycle: Option<Env>) -> R<Step> {
        // A loop, not a call of apply: chains of (apply apply ...) run in constant space.
        while matches!(&f, Value::Prim(p) if p.special == Special::Apply) {
            f = self.spread_apply(base)?;
        }
        match f {
            Value::Prim(p) => match p.special {
                Special::Eval => {
                    let n = self.vstack.len() - base - 1;
                    if n != 1 && n != 2 {
                        self.vstack.truncate(base);
                        return Err(arity_error("eval", 1, Some(2), n));
                    }
                    let datum = self.vstack.get(base + 1).cloned().unwrap_or(Value::Nil);
                    self.vstack.truncate(base);
                    let node = Compiler::new(&mut self.globals).compile_toplevel(&datum)?;
                    Ok(Step::Eval(node, self.top_env.clone()))
                }
                Special::No => self.call_primitive(p, base + 1, base).map(Step::Return),
                special => self.control(special, base),
            },
            Value::Param(p) => {
                let n = self.vstack.len() - base - 1;
                self.vstack.truncate(base);
                if n != 0 {
                    return Err(arity_error("parameter", 0, Some(0), n));
                }
                Ok(Step::Return(p.value.borrow().clone()))
            }
            Value::Cont(c) => {
                let args: Vec<Value> = self.vstack.drain(base + 1..).collect();
                self.vstack.truncate(base);
                self.escape(c, args)
            }
            Value::Closure(c) => {
                let body = c.info.body.clone();
                let env = self.bind(c, base, recycle)?;
                Ok(Step::Eval(body, env))
            }
            other => {
                self.vstack.truncate(base);
                fail(format!("not a procedure: {}", write_short(&other)))
            }
        }
    }

    /// `(apply f a ... list)` with its arguments above `base`: spreads the list onto the stack
    /// in their place and returns `f`, to be called with them.
    fn spread_apply(&mut self, base: usize) -> R<Value> {
        let n = self.vstack.len() - base - 1;
        if n < 2 {
            self.vstack.truncate(base);
            return Err(arity_error("apply", 2, None, n));
        }
        let list = self.vstack.pop().unwrap_or(Value::Nil);
        let items = match list_to_vec("apply", &list) {
            Ok(items) => items,
            Err(e) => {
                self.vstack.truncate(base);
                return Err(e);
            }
        };
        self.vstack.remove(base);
        if self.vstack.try_reserve(items.len()).is_err() {
            self.vstack.truncate(base);
            return Err(out_of_memory());
        }
        self.vstack.extend(items);
        match self.vstack.get_mut(base) {
            Some(slot) => Ok(std::mem::take(slot)),
            None => internal("apply"),
        }
    }

    /// The control primitives: their arguments are on `vstack` above `base`.
    #[inline(never)]
    fn control(&mut self, special: Special, base: usize) -> R<Step> {
        let mut args: Vec<Value> = self.vstack.drain(base + 1..).collect();
        self.vstack.truncate(base);
        let (name, want) = match special {
            Special::CallCC => ("call/cc", 1),
            Special::DynamicWind => ("dynamic-wind", 3),
            Special::WithHandler => ("with-exception-handler", 2),
            Special::RaiseContinuable => ("raise-continuable", 1),
            Special::WithParameters => ("%with-parameters", 3),
            _ => return internal("control"),
        };
        if args.len() != want {
            return Err(arity_error(name, want, Some(want), args.len()));
        }
        match special {
            Special::CallCC => {
                let f = args.pop().unwrap_or_default();
                crate::builtins::procedure(name, &f)?;
                let cont = Rc::new(Cont { valid: std::cell::Cell::new(true) });
                self.push(Kont::Escape { cont: cont.clone(), vbase: base })?;
                self.call(f, vec![Value::Cont(cont)])
            }
            Special::DynamicWind => {
                for a in &args {
                    crate::builtins::procedure(name, a)?;
                }
                let after = args.pop().unwrap_or_default();
                let thunk = args.pop().unwrap_or_default();
                let before = args.pop().unwrap_or_default();
                self.push(Kont::WindBody { thunk, after })?;
                self.call(before, Vec::new())
            }
            Special::WithHandler => {
                let thunk = args.pop().unwrap_or_default();
                let handler = args.pop().unwrap_or_default();
                crate::builtins::procedure(name, &handler)?;
                crate::builtins::procedure(name, &thunk)?;
                self.push(Kont::Handler(handler))?;
                self.call(thunk, Vec::new())
            }
            Special::RaiseContinuable => {
                let condition = args.pop().unwrap_or_default();
                match self.find_handler(usize::MAX, 0) {
                    Some(at) if matches!(self.konts[at], Kont::Handler(_)) => {
                        let handler = match &self.konts[at] {
                            Kont::Handler(h) => h.clone(),
                            _ => return internal("handler"),
                        };
                        self.push(Kont::HandlerCall { outer: at })?;
                        self.call(handler, vec![condition])
                    }
                    _ => Err(Error::Raise(Box::new(condition))),
                }
            }
            _ => {
                let thunk = args.pop().unwrap_or_default();
                let values = crate::value::list_to_vec(name, &args.pop().unwrap_or_default())?;
                let params = crate::value::list_to_vec(name, &args.pop().unwrap_or_default())?;
                let mut saved = Vec::with_capacity(params.len());
                for (p, v) in params.iter().zip(values) {
                    match p {
                        Value::Param(p) => saved.push((p.clone(), p.value.replace(v))),
                        other => return crate::builtins::type_error("parameterize", "a parameter", other),
                    }
                }
                self.push(Kont::Restore(saved))?;
                self.call(thunk, Vec::new())
            }
        }
    }

    /// Calls continuation `c`: back to where its `call/cc` returns, if that is still pending.
    fn escape(&mut self, c: Rc<Cont>, args: Vec<Value>) -> R<Step> {
        let at = self.konts.iter().rposition(|k| matches!(k, Kont::Escape { cont, .. } if Rc::ptr_eq(cont, &c)));
        let at = match (c.valid.get(), at) {
            (true, Some(at)) => at,
            _ => {
                return fail(
                    "continuation called after its call/cc returned (continuations here only escape outwards)",
                )
            }
        };
        let afters = self.unwind_to(at + 1);
        if let Some(Kont::Escape { cont, vbase }) = self.konts.pop() {
            cont.valid.set(false);
            self.vstack.truncate(vbase);
        }
        let value = values(args);
        self.after_winds(afters, Kont::ReturnValue(value))
    }

    /// A new frame for calling `c` with the arguments on `vstack` above `base`; pops them.
    fn bind(&mut self, c: Rc<Closure>, base: usize, recycle: Option<Env>) -> R<Env> {
        let info = &c.info;
        let n = self.vstack.len() - base - 1;
        if n < info.required || (!info.rest && n > info.required) {
            self.vstack.truncate(base);
            let name = info.name.as_ref().map_or("#<procedure>", |s| s.name());
            return Err(arity_error(name, info.required, if info.rest { None } else { Some(info.required) }, n));
        }
        if heap_used() > heap_limit() {
            self.vstack.truncate(base);
            return Err(out_of_memory());
        }
        if let Err(e) = charge(1) {
            self.vstack.truncate(base);
            return Err(e);
        }
        let rest = if info.rest {
            let mut rest = Value::Nil;
            while self.vstack.len() > base + 1 + info.required {
                let v = self.vstack.pop().unwrap_or(Value::Nil);
                rest = cons(v, rest);
            }
            Some(rest)
        } else {
            None
        };
        // A loop's tail call leaves the caller's frame unreferenced: refill it instead of
        // allocating a new one (this is most of the speed of named-let loops).
        if let Some(mut frame) = recycle {
            if let Some(f) = Rc::get_mut(&mut frame) {
                let slots = f.slots.get_mut();
                release_all(slots);
                if info.self_slot {
                    slots.push(Value::Closure(c.clone()));
                }
                slots.extend(self.vstack.drain(base + 1..));
                slots.extend(rest);
                if slots.len() < info.frame_size {
                    slots.resize(info.frame_size, Value::Unassigned);
                }
                f.parent = Some(c.env.clone());
                self.vstack.truncate(base);
                return Ok(frame);
            }
        }
        let mut slots = Vec::with_capacity(info.frame_size.max(1));
        if info.self_slot {
            slots.push(Value::Closure(c.clone()));
        }
        slots.extend(self.vstack.drain(base + 1..));
        slots.extend(rest);
        self.vstack.truncate(base);
        slots.resize(info.frame_size, Value::Unassigned);
        Ok(Frame::new(slots, Some(c.env.clone())))
    }

    fn let_inits(&mut self, node: NodeRef, next: usize, base: usize, env: Env) -> R<Step> {
        let (inits, frame_size, body) = match &*node {
            Node::Let { inits, frame_size, body } => (inits, *frame_size, body),
            _ => return internal("let"),
        };
        for (i, init) in inits.iter().enumerate().skip(next) {
            match self.inline(init, &env) {
                Ok(Some(v)) => self.vstack.push(v),
                Ok(None) => {
                    let init = init.clone();
                    if let Err(e) = self.push(Kont::Let { node: node.clone(), next: i + 1, base, env: env.clone() }) {
                        self.vstack.truncate(base);
                        return Err(e);
                    }
                    return Ok(Step::Eval(init, env));
                }
                Err(e) => {
                    self.vstack.truncate(base);
                    return Err(e);
                }
            }
        }
        let mut slots = Vec::with_capacity(frame_size);
        slots.extend(self.vstack.drain(base..));
        slots.resize(frame_size, Value::Unassigned);
        Ok(Step::Eval(body.clone(), Frame::new(slots, Some(env))))
    }

    /// Evaluates `Letrec` inits from `next` inside `frame`, then the body.
    fn letrec_inits(&mut self, node: NodeRef, next: usize, frame: Env) -> R<Step> {
        let (inits, body) = match &*node {
            Node::Letrec { inits, body, .. } => (inits, body),
            _ => return internal("letrec"),
        };
        for (i, init) in inits.iter().enumerate().skip(next) {
            match self.inline(init, &frame)? {
                Some(v) => store(&frame, i, v)?,
                None => {
                    let init = init.clone();
                    self.push(Kont::Letrec { node: node.clone(), next: i + 1, env: frame.clone() })?;
                    return Ok(Step::Eval(init, frame));
                }
            }
        }
        Ok(Step::Eval(body.clone(), frame))
    }

    fn set_local(&mut self, node: &Node, env: &Env, value: Value) -> R<Step> {
        match node {
            Node::SetLocal { depth, index, .. } => {
                let mut frame = env;
                for _ in 0..*depth {
                    frame = match &frame.parent {
                        Some(p) => p,
                        None => return internal("frame depth"),
                    };
                }
                store(frame, *index, value)?;
                Ok(Step::Return(Value::Unspecified))
            }
            _ => internal("set!"),
        }
    }
}

/// The value of a constant or a bound, assigned variable; None for anything else (including
/// the error cases, which [`Interp::simple_slow`] then reports).
#[inline(always)]
fn fast(node: &Node, env: &Env) -> Option<Value> {
    match node {
        Node::Const(v) => Some(v.clone()),
        Node::Local { depth, index, .. } => match local(env, *depth, *index) {
            Some(Value::Unassigned | Value::FrameLambda(_)) => None,
            v => v,
        },
        Node::Global(cell) => match &*cell.value.borrow() {
            Value::Unassigned => None,
            v => Some(v.clone()),
        },
        _ => None,
    }
}

#[inline]
fn frame_at(env: &Env, depth: usize) -> Option<&Env> {
    let mut frame = env;
    for _ in 0..depth {
        frame = frame.parent.as_ref()?;
    }
    Some(frame)
}

#[inline]
fn local(env: &Env, depth: usize, index: usize) -> Option<Value> {
    let slots = frame_at(env, depth)?.slots.borrow();
    slots.get(index).cloned()
}

#[cold]
fn used_before_definition(name: &Symbol) -> Error {
    error(format!("{} is used before its definition", name.name()))
}

#[cold]
fn unbound(cell: &Global) -> Error {
    error(format!("unbound variable: {}", cell.name.name()))
}

fn store(frame: &Env, index: usize, value: Value) -> R<()> {
    let old = {
        let mut slots = frame.slots.borrow_mut();
        match slots.get_mut(index) {
            Some(slot) => std::mem::replace(slot, value),
            None => return internal("frame slot"),
        }
    };
    // Dropped after the borrow ends: freeing it may free other frames.
    drop(old);
    Ok(())
}

/// Puts parameters back as they were before a `parameterize`.
fn restore(saved: Vec<(Rc<Param>, Value)>) {
    for (p, v) in saved.into_iter().rev() {
        drop(p.value.replace(v));
    }
}

/// What `(values a ...)` makes: the value itself when there is one.
pub fn values(mut args: Vec<Value>) -> Value {
    if args.len() == 1 {
        args.pop().unwrap_or_default()
    } else {
        Value::Values(Rc::new(ValueList(args)))
    }
}

fn set_global(cell: &Global, define: bool, value: Value) -> R<Value> {
    if !define && matches!(*cell.value.borrow(), Value::Unassigned) {
        return fail(format!("set!: unbound variable: {}", cell.name.name()));
    }
    let old = cell.value.replace(value);
    drop(old);
    Ok(Value::Unspecified)
}

pub fn arity_error(name: &str, min: usize, max: Option<usize>, got: usize) -> Error {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let expected = match max {
        Some(max) if max == min => format!("{} {}", min, plural(min)),
        Some(max) => format!("{} to {} arguments", min, max),
        None => format!("at least {} {}", min, plural(min)),
    };
    error(format!("{}: expected {}, got {}", name, expected, got))
}
