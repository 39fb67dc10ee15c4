//! The compiler: turns a datum into a tree of [`Node`]s with variables resolved once, so the
//! evaluator never looks a name up by string. Locals become (depth, slot) addresses into
//! frames; globals become shared cells. Derived forms (do, named let, case, quasiquote, ...)
//! are lowered here into a handful of node kinds.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::builtins;
use crate::printer::write_short;
use crate::value::{cons, fail, list_to_vec, list_from_vec, Symbol, Value, R};

pub type NodeRef = Rc<Node>;

pub enum Node {
    Const(Value),
    Local { depth: usize, index: usize, name: Symbol },
    Global(Rc<Global>),
    /// `set!` of a local, or an internal `define` (which then yields no value either).
    SetLocal { depth: usize, index: usize, value: NodeRef },
    SetGlobal { cell: Rc<Global>, value: NodeRef },
    DefineGlobal { cell: Rc<Global>, value: NodeRef },
    If(NodeRef, NodeRef, NodeRef),
    Lambda(Rc<LambdaInfo>),
    /// Two or more expressions; the last is in tail position.
    Seq(Vec<NodeRef>),
    /// Operator, arguments, and whether every argument is a constant or variable (then a call
    /// of a primitive needs no evaluation steps).
    Call(NodeRef, Vec<NodeRef>, bool),
    And(Vec<NodeRef>),
    Or(Vec<NodeRef>),
    /// A new frame of `frame_size` slots whose first slots take `inits`, evaluated outside it.
    Let { inits: Vec<NodeRef>, frame_size: usize, body: NodeRef },
    /// A new frame whose slots take `inits` in order, each evaluated inside it (letrec*, let*).
    Letrec { inits: Vec<NodeRef>, frame_size: usize, body: NodeRef },
    /// A cond clause `(test => receiver)`, followed by the remaining clauses.
    CondArrow { test: NodeRef, receiver: NodeRef, rest: NodeRef },
    Case { key: NodeRef, clauses: Vec<CaseClause>, default: Option<CaseBody> },
    /// `(guard (var clause...) body...)`: `handler` runs in a new frame holding the condition.
    Guard { body: NodeRef, handler: NodeRef },
}

pub struct CaseClause {
    pub data: Vec<Value>,
    pub body: CaseBody,
}

pub enum CaseBody {
    Exprs(NodeRef),
    /// `=> receiver`: the receiver is called with the key.
    Arrow(NodeRef),
}

pub struct LambdaInfo {
    pub name: Option<Symbol>,
    /// Slot 0 of each call's frame holds the procedure itself (named let's loop variable):
    /// recursion without a frame that refers to itself.
    pub self_slot: bool,
    pub required: usize,
    pub rest: bool,
    /// Parameters plus internal defines.
    pub frame_size: usize,
    pub body: NodeRef,
}

/// A global variable; `Unassigned` while unbound.
pub struct Global {
    pub name: Symbol,
    pub value: RefCell<Value>,
}

#[derive(Default)]
pub struct Globals {
    cells: HashMap<String, Rc<Global>>,
}

impl Globals {
    pub fn cell(&mut self, name: &Symbol) -> Rc<Global> {
        if let Some(cell) = self.cells.get(name.name()) {
            return cell.clone();
        }
        let cell = Rc::new(Global { name: name.clone(), value: RefCell::new(Value::Unassigned) });
        self.cells.insert(name.name().to_string(), cell.clone());
        cell
    }

    /// The value of a bound global.
    pub fn get(&self, name: &str) -> Option<Value> {
        let value = self.cells.get(name)?.value.borrow().clone();
        if let Value::Unassigned = value {
            None
        } else {
            Some(value)
        }
    }

    pub fn define(&mut self, name: &str, value: Value) {
        let cell = self.cell(&Symbol::intern(name));
        *cell.value.borrow_mut() = value;
    }

}

/// Special forms; a local variable of the same name hides one.
const KEYWORDS: &[&str] = &[
    "quote", "quasiquote", "unquote", "unquote-splicing", "lambda", "define", "set!", "if", "cond", "case",
    "and", "or", "when", "unless", "let", "let*", "letrec", "letrec*", "do", "begin", "guard", "else", "=>",
    "define-syntax", "let-syntax", "syntax-rules", "define-record-type", "delay", "call/cc",
    "call-with-current-continuation",
];

pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Deepest nesting of expressions the compiler follows. The reader's limit comes first for typed
/// input; this one guards `eval` of data built at run time. Measured: about 500 nested lets or
/// internal defines exhaust wasmtime's native stack, so 300 leaves a margin.
const MAX_DEPTH: usize = 300;

pub struct Compiler<'a> {
    globals: &'a mut Globals,
    /// Names of the frames being compiled, innermost last; empty at top level.
    frames: Vec<Vec<Symbol>>,
    depth: usize,
    /// Prelude mode: references to globals already bound (primitives, earlier library
    /// procedures) become constants, so the library keeps working when a user redefines
    /// `car` or `reverse`.
    freeze_globals: bool,
}

fn syntax_error<T>(form: &str, x: &Value) -> R<T> {
    fail(format!("{}: bad syntax in {}", form, write_short(x)))
}

fn node(n: Node) -> NodeRef {
    Rc::new(n)
}

fn call(f: NodeRef, args: Vec<NodeRef>) -> Node {
    let simple = args.iter().all(|a| matches!(**a, Node::Const(_) | Node::Local { .. } | Node::Global(_)));
    Node::Call(f, args, simple)
}

fn unspecified() -> NodeRef {
    node(Node::Const(Value::Unspecified))
}

fn prim(p: &'static crate::eval::Primitive) -> NodeRef {
    node(Node::Const(Value::Prim(p)))
}

/// The elements of a form, which must be a proper list.
fn parts(form: &str, x: &Value) -> R<Vec<Value>> {
    match list_to_vec(form, x) {
        Ok(items) => Ok(items),
        Err(_) => syntax_error(form, x),
    }
}

fn as_symbol(v: &Value) -> Option<Symbol> {
    match v {
        Value::Sym(s) => Some(s.clone()),
        _ => None,
    }
}

fn list2(a: Value, b: Value) -> Value {
    cons(a, cons(b, Value::Nil))
}

impl<'a> Compiler<'a> {
    pub fn new(globals: &'a mut Globals, freeze_globals: bool) -> Compiler<'a> {
        Compiler { globals, frames: Vec::new(), depth: 0, freeze_globals }
    }

    /// Compiles a top-level form.
    pub fn compile_toplevel(&mut self, x: &Value) -> R<NodeRef> {
        self.compile(x)
    }

    fn lookup_local(&self, name: &Symbol) -> Option<(usize, usize)> {
        for (depth, frame) in self.frames.iter().rev().enumerate() {
            if let Some(index) = frame.iter().rposition(|n| n == name) {
                return Some((depth, index));
            }
        }
        None
    }

    fn is_special(&self, head: &Value) -> Option<Symbol> {
        match head {
            Value::Sym(s) if is_keyword(s.name()) && self.lookup_local(s).is_none() => Some(s.clone()),
            _ => None,
        }
    }

    fn compile(&mut self, x: &Value) -> R<NodeRef> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return fail(format!("expression nested deeper than {} levels", MAX_DEPTH));
        }
        let result = self.compile_inner(x);
        self.depth -= 1;
        result
    }

    fn compile_inner(&mut self, x: &Value) -> R<NodeRef> {
        match x {
            Value::Sym(s) => Ok(self.variable(s)),
            Value::Pair(p) => {
                let head = p.car();
                if let Some(keyword) = self.is_special(&head) {
                    return self.special(keyword.name(), x);
                }
                let items = match list_to_vec("call", x) {
                    Ok(items) => items,
                    Err(_) => return fail(format!("bad procedure call {}", write_short(x))),
                };
                let f = self.compile(&items[0])?;
                let mut args = Vec::with_capacity(items.len() - 1);
                for a in &items[1..] {
                    args.push(self.compile(a)?);
                }
                Ok(node(call(f, args)))
            }
            Value::Nil => fail("() is not an expression (quote it: '())"),
            other => Ok(node(Node::Const(other.clone()))),
        }
    }

    fn variable(&mut self, s: &Symbol) -> NodeRef {
        if let Some((depth, index)) = self.lookup_local(s) {
            return node(Node::Local { depth, index, name: s.clone() });
        }
        let cell = self.globals.cell(s);
        if self.freeze_globals {
            let value = cell.value.borrow().clone();
            if !matches!(value, Value::Unassigned) {
                return node(Node::Const(value));
            }
        }
        node(Node::Global(cell))
    }

    fn special(&mut self, keyword: &str, x: &Value) -> R<NodeRef> {
        let items = parts(keyword, x)?;
        let args = &items[1..];
        match keyword {
            "quote" => match args {
                [datum] => Ok(node(Node::Const(datum.clone()))),
                _ => syntax_error("quote", x),
            },
            "quasiquote" => match args {
                [template] => self.quasi(template, 1),
                _ => syntax_error("quasiquote", x),
            },
            "unquote" | "unquote-splicing" => fail(format!("{}: not inside a quasiquote", keyword)),
            "lambda" => match args {
                [params, body @ ..] if !body.is_empty() => Ok(node(Node::Lambda(self.lambda(None, false, params, body)?))),
                _ => syntax_error("lambda", x),
            },
            "define" => self.define(x, args),
            "set!" => match args {
                [Value::Sym(name), value] => {
                    let value = self.compile_named(value, name)?;
                    match self.lookup_local(name) {
                        Some((depth, index)) => Ok(node(Node::SetLocal { depth, index, value })),
                        None => Ok(node(Node::SetGlobal { cell: self.globals.cell(name), value })),
                    }
                }
                _ => syntax_error("set!", x),
            },
            "if" => match args {
                [test, then] => Ok(node(Node::If(self.compile(test)?, self.compile(then)?, unspecified()))),
                [test, then, otherwise] => {
                    Ok(node(Node::If(self.compile(test)?, self.compile(then)?, self.compile(otherwise)?)))
                }
                _ => syntax_error("if", x),
            },
            "when" | "unless" => match args {
                [test, body @ ..] if !body.is_empty() => {
                    let test = self.compile(test)?;
                    let body = self.sequence(body)?;
                    Ok(node(if keyword == "when" {
                        Node::If(test, body, unspecified())
                    } else {
                        Node::If(test, unspecified(), body)
                    }))
                }
                _ => syntax_error(keyword, x),
            },
            "begin" => {
                if args.is_empty() {
                    Ok(unspecified())
                } else {
                    self.sequence(args)
                }
            }
            "and" | "or" => {
                if args.is_empty() {
                    return Ok(node(Node::Const(Value::Bool(keyword == "and"))));
                }
                if args.len() == 1 {
                    return self.compile(&args[0]);
                }
                let nodes = args.iter().map(|a| self.compile(a)).collect::<R<Vec<_>>>()?;
                Ok(node(if keyword == "and" { Node::And(nodes) } else { Node::Or(nodes) }))
            }
            "cond" => self.cond(x, args),
            "case" => self.case(x, args),
            "let" => self.let_form(x, args),
            "let*" => self.let_star(x, args),
            "letrec" | "letrec*" => self.letrec(x, args),
            "do" => self.do_loop(x, args),
            "guard" => self.guard(x, args),
            "else" | "=>" => fail(format!("{}: only allowed in cond or case", keyword)),
            "define-syntax" | "let-syntax" | "syntax-rules" => fail(format!("{}: macros are not supported", keyword)),
            "define-record-type" => fail("define-record-type: records are not supported; use vectors or hash tables"),
            "delay" => fail("delay: promises are not supported; use a procedure (lambda () ...)"),
            _ => fail(format!("{}: continuations are not supported", keyword)),
        }
    }

    /// Compiles `x`, naming it `name` if it is a lambda (for messages and printing).
    fn compile_named(&mut self, x: &Value, name: &Symbol) -> R<NodeRef> {
        if let Value::Pair(p) = x {
            if let Some(k) = self.is_special(&p.car()) {
                if k.name() == "lambda" {
                    let items = parts("lambda", x)?;
                    if items.len() >= 3 {
                        return Ok(node(Node::Lambda(self.lambda(Some(name.clone()), false, &items[1], &items[2..])?)));
                    }
                }
            }
        }
        self.compile(x)
    }

    fn define(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        let (name, value) = match args {
            [Value::Sym(name), value] => (name.clone(), self.compile_named(value, name)?),
            [Value::Pair(signature), body @ ..] if !body.is_empty() => {
                let name = match as_symbol(&signature.car()) {
                    Some(n) => n,
                    None => return syntax_error("define", x),
                };
                let info = self.lambda(Some(name.clone()), false, &signature.cdr(), body)?;
                (name, node(Node::Lambda(info)))
            }
            _ => return syntax_error("define", x),
        };
        match self.frames.last() {
            None => Ok(node(Node::DefineGlobal { cell: self.globals.cell(&name), value })),
            Some(frame) => match frame.iter().rposition(|n| *n == name) {
                Some(index) => {
                    let value = match &*value {
                        Node::Lambda(info) => node(Node::Const(Value::FrameLambda(info.clone()))),
                        _ => value,
                    };
                    Ok(node(Node::SetLocal { depth: 0, index, value }))
                }
                None => fail(format!(
                    "define: {} is defined in the middle of an expression; definitions go at top level or at the start of a body",
                    name.name()
                )),
            },
        }
    }

    /// Parses a parameter list: names, and whether the last one takes the remaining arguments.
    fn params(&self, params: &Value) -> R<(Vec<Symbol>, bool)> {
        let mut names: Vec<Symbol> = Vec::new();
        let mut cur = params.clone();
        let rest = loop {
            match cur {
                Value::Nil => break false,
                Value::Sym(s) => {
                    names.push(s);
                    break true;
                }
                Value::Pair(p) => {
                    match p.car() {
                        Value::Sym(s) => names.push(s),
                        other => return fail(format!("lambda: parameter {} is not a symbol", write_short(&other))),
                    }
                    cur = p.cdr();
                }
                other => return fail(format!("lambda: bad parameter list {}", write_short(&other))),
            }
        };
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return fail(format!("lambda: parameter {} appears twice", n.name()));
            }
        }
        Ok((names, rest))
    }

    /// A lambda; with `self_slot`, its name is bound in its own frame to the procedure itself.
    fn lambda(&mut self, name: Option<Symbol>, self_slot: bool, params: &Value, body: &[Value]) -> R<Rc<LambdaInfo>> {
        let (mut names, rest) = self.params(params)?;
        let required = names.len() - usize::from(rest);
        if let (true, Some(n)) = (self_slot, &name) {
            names.insert(0, n.clone());
        }
        self.frames.push(names);
        let body = self.body(body);
        let frame = self.frames.pop().unwrap_or_default();
        Ok(Rc::new(LambdaInfo { name, self_slot, required, rest, frame_size: frame.len(), body: body? }))
    }

    /// Compiles the value of a variable of the innermost frame that is initialised inside that
    /// frame (internal define, letrec, let*). A lambda there would close over the frame that
    /// holds it, an Rc cycle never freed; it is stored as code instead, and reading the
    /// variable makes the closure.
    fn compile_own_frame_value(&mut self, x: &Value, name: &Symbol) -> R<NodeRef> {
        let value = self.compile_named(x, name)?;
        if let Node::Lambda(info) = &*value {
            return Ok(node(Node::Const(Value::FrameLambda(info.clone()))));
        }
        Ok(value)
    }

    /// A body: internal defines first get slots in the innermost frame, then the expressions.
    fn body(&mut self, forms: &[Value]) -> R<NodeRef> {
        let mut defined = Vec::new();
        self.scan_defines(forms, &mut defined, 0);
        if let Some(frame) = self.frames.last_mut() {
            for name in defined {
                if !frame.contains(&name) {
                    frame.push(name);
                }
            }
        }
        self.sequence(forms)
    }

    fn scan_defines(&self, forms: &[Value], out: &mut Vec<Symbol>, depth: usize) {
        if depth > MAX_DEPTH {
            return; // compiling the forms fails on the same depth
        }
        for form in forms {
            if let Value::Pair(p) = form {
                match self.is_special(&p.car()) {
                    Some(k) if k.name() == "define" => {
                        if let Value::Pair(rest) = p.cdr() {
                            match rest.car() {
                                Value::Sym(s) => out.push(s),
                                Value::Pair(sig) => {
                                    if let Value::Sym(s) = sig.car() {
                                        out.push(s)
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    Some(k) if k.name() == "begin" => {
                        if let Ok(inner) = list_to_vec("begin", &p.cdr()) {
                            self.scan_defines(&inner, out, depth + 1);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn sequence(&mut self, forms: &[Value]) -> R<NodeRef> {
        let mut nodes = Vec::with_capacity(forms.len());
        for f in forms {
            nodes.push(self.compile(f)?);
        }
        Ok(match nodes.len() {
            0 => unspecified(),
            1 => nodes.pop().unwrap_or_else(unspecified),
            _ => node(Node::Seq(nodes)),
        })
    }

    /// `((name init) ...)` as names and init expressions.
    fn bindings(&self, form: &str, x: &Value, bindings: &Value) -> R<Vec<(Symbol, Value)>> {
        let mut out = Vec::new();
        for b in parts(form, bindings)? {
            let items = parts(form, &b)?;
            match items.as_slice() {
                [Value::Sym(name), init] => out.push((name.clone(), init.clone())),
                // R7RS allows (name) in do; letrec-style forms need an init.
                _ => return syntax_error(form, x),
            }
        }
        Ok(out)
    }

    fn let_form(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        match args {
            [Value::Sym(name), bindings, body @ ..] if !body.is_empty() => self.named_let(x, name, bindings, body),
            [bindings, body @ ..] if !body.is_empty() => {
                let bindings = self.bindings("let", x, bindings)?;
                let mut inits = Vec::with_capacity(bindings.len());
                for (name, init) in &bindings {
                    inits.push(self.compile_named(init, name)?);
                }
                let names: Vec<Symbol> = bindings.into_iter().map(|(n, _)| n).collect();
                for (i, n) in names.iter().enumerate() {
                    if names[..i].contains(n) {
                        return fail(format!("let: {} is bound twice", n.name()));
                    }
                }
                self.frames.push(names);
                let body = self.body(body);
                let frame = self.frames.pop().unwrap_or_default();
                Ok(node(Node::Let { inits, frame_size: frame.len(), body: body? }))
            }
            _ => syntax_error("let", x),
        }
    }

    /// `(let loop ((v init) ...) body)`: a call of a lambda that finds itself as `loop` in
    /// its own frame; the inits are evaluated outside.
    fn named_let(&mut self, x: &Value, name: &Symbol, bindings: &Value, body: &[Value]) -> R<NodeRef> {
        let bindings = self.bindings("let", x, bindings)?;
        let mut inits = Vec::with_capacity(bindings.len());
        for (var, init) in &bindings {
            inits.push(self.compile_named(init, var)?);
        }
        let params = list_from_vec(bindings.iter().map(|(n, _)| Value::Sym(n.clone())).collect());
        let lambda = self.lambda(Some(name.clone()), true, &params, body)?;
        Ok(node(call(node(Node::Lambda(lambda)), inits)))
    }

    fn let_star(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        match args {
            [bindings, body @ ..] if !body.is_empty() => {
                let bindings = self.bindings("let*", x, bindings)?;
                // One frame; each init sees only the variables before it.
                self.frames.push(Vec::new());
                let result = (|| -> R<(Vec<NodeRef>, NodeRef)> {
                    let mut inits = Vec::with_capacity(bindings.len());
                    for (name, init) in &bindings {
                        inits.push(self.compile_own_frame_value(init, name)?);
                        if let Some(frame) = self.frames.last_mut() {
                            frame.push(name.clone());
                        }
                    }
                    let body = self.body(body)?;
                    Ok((inits, body))
                })();
                let frame = self.frames.pop().unwrap_or_default();
                let (inits, body) = result?;
                Ok(node(Node::Letrec { inits, frame_size: frame.len(), body }))
            }
            _ => syntax_error("let*", x),
        }
    }

    fn letrec(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        match args {
            [bindings, body @ ..] if !body.is_empty() => {
                let bindings = self.bindings("letrec", x, bindings)?;
                self.frames.push(bindings.iter().map(|(n, _)| n.clone()).collect());
                let result = (|| -> R<(Vec<NodeRef>, NodeRef)> {
                    let mut inits = Vec::with_capacity(bindings.len());
                    for (name, init) in &bindings {
                        inits.push(self.compile_own_frame_value(init, name)?);
                    }
                    let body = self.body(body)?;
                    Ok((inits, body))
                })();
                let frame = self.frames.pop().unwrap_or_default();
                let (inits, body) = result?;
                Ok(node(Node::Letrec { inits, frame_size: frame.len(), body }))
            }
            _ => syntax_error("letrec", x),
        }
    }

    fn cond(&mut self, x: &Value, clauses: &[Value]) -> R<NodeRef> {
        // Built from the last clause backwards, so no recursion per clause.
        let mut rest = unspecified();
        for (i, clause) in clauses.iter().enumerate().rev() {
            let items = parts("cond", clause)?;
            let is_else = matches!(items.first(), Some(Value::Sym(s)) if s.name() == "else" && self.lookup_local(s).is_none());
            let is_arrow = matches!(items.get(1), Some(Value::Sym(s)) if s.name() == "=>" && self.lookup_local(s).is_none());
            rest = match items.as_slice() {
                [] => return syntax_error("cond", x),
                [_, body @ ..] if is_else => {
                    if i + 1 != clauses.len() || body.is_empty() {
                        return fail("cond: else must be the last clause and have a body");
                    }
                    self.sequence(body)?
                }
                [test, _, receiver] if is_arrow => node(Node::CondArrow {
                    test: self.compile(test)?,
                    receiver: self.compile(receiver)?,
                    rest,
                }),
                [test] => node(Node::Or(vec![self.compile(test)?, rest])),
                [test, body @ ..] => node(Node::If(self.compile(test)?, self.sequence(body)?, rest)),
            };
        }
        Ok(rest)
    }

    fn case_body(&mut self, x: &Value, body: &[Value]) -> R<CaseBody> {
        match body {
            [Value::Sym(s), receiver] if s.name() == "=>" => Ok(CaseBody::Arrow(self.compile(receiver)?)),
            [] => syntax_error("case", x),
            _ => Ok(CaseBody::Exprs(self.sequence(body)?)),
        }
    }

    fn case(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        let (key, clauses) = match args {
            [key, clauses @ ..] => (self.compile(key)?, clauses),
            _ => return syntax_error("case", x),
        };
        let mut compiled = Vec::new();
        let mut default = None;
        for (i, clause) in clauses.iter().enumerate() {
            let items = parts("case", clause)?;
            match items.as_slice() {
                [Value::Sym(s), body @ ..] if s.name() == "else" => {
                    if i + 1 != clauses.len() {
                        return fail("case: else must be the last clause");
                    }
                    default = Some(self.case_body(x, body)?);
                }
                [data, body @ ..] => {
                    let data = parts("case", data)?;
                    compiled.push(CaseClause { data, body: self.case_body(x, body)? });
                }
                [] => return syntax_error("case", x),
            }
        }
        Ok(node(Node::Case { key, clauses: compiled, default }))
    }

    /// `(do ((var init step) ...) (test result ...) body ...)` as a named let.
    fn do_loop(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        let (specs, exit, body) = match args {
            [specs, exit, body @ ..] => (parts("do", specs)?, parts("do", exit)?, body),
            _ => return syntax_error("do", x),
        };
        let loop_name = Symbol::fresh("do-loop");
        let mut bindings = Vec::new();
        let mut steps = Vec::new();
        for spec in &specs {
            match parts("do", spec)?.as_slice() {
                [var @ Value::Sym(_), init] => {
                    bindings.push(list2(var.clone(), init.clone()));
                    steps.push(var.clone());
                }
                [var @ Value::Sym(_), init, step] => {
                    bindings.push(list2(var.clone(), init.clone()));
                    steps.push(step.clone());
                }
                _ => return syntax_error("do", x),
            }
        }
        let (test, results) = match exit.as_slice() {
            [test, results @ ..] => (test.clone(), results.to_vec()),
            [] => return syntax_error("do", x),
        };
        let sym = |s: &str| Value::sym(s);
        let next = cons(Value::Sym(loop_name.clone()), list_from_vec(steps));
        let mut again = vec![sym("begin")];
        again.extend(body.iter().cloned());
        again.push(next);
        let nothing = list_from_vec(vec![sym("if"), Value::Bool(false), Value::Bool(false)]);
        let mut done = vec![sym("begin"), nothing];
        done.extend(results);
        let expansion = list_from_vec(vec![
            sym("let"),
            Value::Sym(loop_name),
            list_from_vec(bindings),
            list_from_vec(vec![sym("if"), test, list_from_vec(done), list_from_vec(again)]),
        ]);
        self.compile(&expansion)
    }

    /// `(guard (var clause ...) body ...)`: clauses as in cond; none matching re-raises.
    fn guard(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        let (var, clauses, body) = match args {
            [spec, body @ ..] if !body.is_empty() => match parts("guard", spec)?.as_slice() {
                [Value::Sym(var), clauses @ ..] => (var.clone(), clauses.to_vec(), body),
                _ => return syntax_error("guard", x),
            },
            _ => return syntax_error("guard", x),
        };
        let body_form = cons(Value::sym("let"), cons(Value::Nil, list_from_vec(body.to_vec())));
        let body = self.compile(&body_form)?;
        self.frames.push(vec![var.clone()]);
        let handler = (|| -> R<NodeRef> {
            let has_else = clauses.iter().any(|c| match c {
                Value::Pair(p) => matches!(p.car(), Value::Sym(s) if s.name() == "else"),
                _ => false,
            });
            let mut clauses = clauses.clone();
            if !has_else {
                let reraise = list2(Value::Prim(&builtins::RAISE), Value::Sym(var.clone()));
                clauses.push(list2(Value::sym("else"), reraise));
            }
            self.cond(x, &clauses)
        })();
        self.frames.pop();
        Ok(node(Node::Guard { body, handler: handler? }))
    }

    // -- quasiquote ------------------------------------------------------------------------

    fn quasi(&mut self, template: &Value, depth: usize) -> R<NodeRef> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return fail("quasiquote: template nested too deeply");
        }
        let result = self.quasi_inner(template, depth);
        self.depth -= 1;
        result
    }

    /// `(keyword x)` when `v` is such a two-element form.
    fn form_of(v: &Value, keyword: &str) -> Option<Value> {
        if let Value::Pair(p) = v {
            if let (Value::Sym(s), Value::Pair(rest)) = (p.car(), p.cdr()) {
                if s.name() == keyword && matches!(rest.cdr(), Value::Nil) {
                    return Some(rest.car());
                }
            }
        }
        None
    }

    fn quasi_inner(&mut self, template: &Value, depth: usize) -> R<NodeRef> {
        if !Self::has_unquote(template, 0) {
            return Ok(node(Node::Const(template.clone())));
        }
        if let Some(inner) = Self::form_of(template, "unquote") {
            return if depth == 1 {
                self.compile(&inner)
            } else {
                self.quasi_wrap("unquote", &inner, depth - 1)
            };
        }
        if let Some(inner) = Self::form_of(template, "quasiquote") {
            return self.quasi_wrap("quasiquote", &inner, depth + 1);
        }
        if let Value::Vector(v) = template {
            let items = list_from_vec(v.items.borrow().clone());
            let list = self.quasi(&items, depth)?;
            return Ok(node(call(prim(&builtins::LIST_TO_VECTOR), vec![list])));
        }
        // A list: runs of plain elements become (list ...), ,@x splices x, and an unquoted
        // or improper tail ends the (append ...).
        let mut segments: Vec<NodeRef> = Vec::new();
        let mut run: Vec<NodeRef> = Vec::new();
        let mut cur = template.clone();
        let tail = loop {
            if let Value::Pair(p) = &cur {
                if Self::form_of(&cur, "unquote").is_some() || Self::form_of(&cur, "quasiquote").is_some() {
                    // `(a . ,b)` reads as (a unquote b): the rest is one unquoted tail.
                    break self.quasi(&cur, depth)?;
                }
                let item = p.car();
                match Self::form_of(&item, "unquote-splicing") {
                    Some(inner) if depth == 1 => {
                        if !run.is_empty() {
                            segments.push(node(call(prim(&builtins::LIST), std::mem::take(&mut run))));
                        }
                        segments.push(self.compile(&inner)?);
                    }
                    Some(inner) => run.push(self.quasi_wrap("unquote-splicing", &inner, depth - 1)?),
                    None => run.push(self.quasi(&item, depth)?),
                }
                let next = p.cdr();
                cur = next;
            } else {
                break self.quasi(&cur, depth)?;
            }
        };
        if !run.is_empty() {
            segments.push(node(call(prim(&builtins::LIST), run)));
        }
        segments.push(tail);
        Ok(node(call(prim(&builtins::QQ_APPEND), segments)))
    }

    fn quasi_wrap(&mut self, keyword: &str, inner: &Value, depth: usize) -> R<NodeRef> {
        let inner = self.quasi(inner, depth)?;
        Ok(node(call(prim(&builtins::LIST), vec![node(Node::Const(Value::sym(keyword))), inner])))
    }

    /// Whether a template contains an unquote anywhere (otherwise it is a constant).
    fn has_unquote(v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true; // too deep to tell: compiling it reports the depth
        }
        // Iterative over the spine, recursive into elements.
        let mut cur = v.clone();
        loop {
            match cur {
                Value::Pair(p) => {
                    let head = p.car();
                    if let Value::Sym(s) = &head {
                        if s.name() == "unquote" || s.name() == "unquote-splicing" {
                            return true;
                        }
                    }
                    if Self::has_unquote(&head, depth + 1) {
                        return true;
                    }
                    cur = p.cdr();
                }
                Value::Vector(vec) => return vec.items.borrow().iter().any(|x| Self::has_unquote(x, depth + 1)),
                _ => return false,
            }
        }
    }

}
