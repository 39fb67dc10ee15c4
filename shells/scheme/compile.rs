//! The compiler: turns a datum into a tree of [`Node`]s with variables resolved once, so the
//! evaluator never looks a name up by string. Locals become (depth, slot) addresses into
//! frames; globals become shared cells. Macros (syntax.rs) are expanded here, and the derived
//! forms (derived.rs) are rewritten into the core ones before compiling.
//!
//! Names: a symbol means, in order, a local variable or local macro of the innermost scope that
//! binds it, a global macro, a special form (the keywords below), or a global variable. A macro
//! alias (a symbol its template inserted) that nothing binds means what its original meant
//! where the macro was defined. To add a special form: a keyword in [`KEYWORDS`] and a case in
//! [`Compiler::special`], or a rewrite in derived.rs.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::builtins;
use crate::eval::{Closure, Env, Frame};
use crate::printer::write_short;
use crate::syntax::{self, Macro};
use crate::value::{cons, fail, is_circular, list_from_vec, list_to_vec, make_literal, Symbol, Value, R};

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

/// The global environment: the operator's variables and macros, and the library's own
/// variables. Both are filled lazily: a name's cell is made when code first mentions it, and a
/// library name (a primitive or a procedure of library.rs) is bound then. An idle session thus
/// holds only what it used, and the library keeps working when the operator redefines `car`.
pub struct Globals {
    cells: HashMap<Box<str>, Rc<Global>>,
    library: HashMap<Box<str>, Rc<Global>>,
    macros: HashMap<Box<str>, Rc<Macro>>,
    top_env: Env,
}

impl Globals {
    pub fn new() -> Globals {
        Globals { cells: HashMap::new(), library: HashMap::new(), macros: HashMap::new(), top_env: Frame::new(Vec::new(), None) }
    }

    pub fn top_env(&self) -> Env {
        self.top_env.clone()
    }

    /// The operator's cell for `name`; a primitive's name is bound to it at once, a library
    /// procedure's when the cell is first read ([`Globals::autoload`]).
    pub fn cell(&mut self, name: &Symbol) -> Rc<Global> {
        let name = name.base();
        if let Some(cell) = self.cells.get(name.name()) {
            return cell.clone();
        }
        let value = builtins::primitive(name.name()).map_or(Value::Unassigned, Value::Prim);
        let cell = Rc::new(Global { name: name.clone(), value: RefCell::new(value) });
        self.cells.insert(name.name().into(), cell.clone());
        cell
    }

    /// Binds an unbound operator's cell to the library procedure of its name, if there is one.
    /// A library procedure that failed to compile is returned (it reports why) but not bound.
    pub fn autoload(&mut self, cell: &Global) -> Option<Value> {
        let value = self.library_cell(cell.name.name())?.value.borrow().clone();
        match value {
            Value::Unassigned => None,
            Value::Closure(_) | Value::Prim(_) => {
                *cell.value.borrow_mut() = value.clone();
                Some(value)
            }
            other => Some(other),
        }
    }

    /// The library's cell for `name`: a primitive, or a library procedure compiled now.
    pub fn library_cell(&mut self, name: &str) -> Option<Rc<Global>> {
        if let Some(cell) = self.library.get(name) {
            return Some(cell.clone());
        }
        let value = match builtins::primitive(name) {
            Some(p) => Value::Prim(p),
            None => {
                let source = crate::library::source(name)?;
                // Registered before compiling, so procedures that call each other find it.
                let cell = Rc::new(Global { name: Symbol::intern(name), value: RefCell::new(Value::Unassigned) });
                self.library.insert(name.into(), cell.clone());
                let value = match self.compile_library(source) {
                    Ok(value) => value,
                    Err(message) => {
                        // Not kept: a failure for lack of stack may not happen next time.
                        self.library.remove(name);
                        crate::value::error_value(format!("library: {}: {}", name, message))
                    }
                };
                *cell.value.borrow_mut() = value;
                return Some(cell);
            }
        };
        let cell = Rc::new(Global { name: Symbol::intern(name), value: RefCell::new(value) });
        self.library.insert(name.into(), cell.clone());
        Some(cell)
    }

    /// A library procedure, compiled from its definition.
    fn compile_library(&mut self, source: &str) -> Result<Value, String> {
        let datum = match crate::reader::read(source, 0) {
            crate::reader::Read::Datum(d, _) => d,
            _ => return Err("unreadable definition".to_string()),
        };
        let top = self.top_env();
        let mut compiler = Compiler { globals: self, scopes: Vec::new(), depth: 0, library: true, expansions: 0 };
        match crate::eval::uninterrupted(|| compiler.compile(&datum)) {
            Ok(n) => match &*n {
                Node::DefineGlobal { value, .. } => match &**value {
                    Node::Lambda(info) => Ok(Closure::new(info.clone(), top)),
                    _ => Err("not a procedure definition".to_string()),
                },
                _ => Err("not a definition".to_string()),
            },
            Err(crate::value::Error::Raise(v)) => Err(crate::builtins::report(&v)),
            Err(_) => Err("stopped".to_string()),
        }
    }

    /// The library's value of `name` (for derived forms, which call library procedures).
    pub fn library_value(&mut self, name: &str) -> Value {
        self.library_cell(name).map(|c| c.value.borrow().clone()).unwrap_or(Value::Unassigned)
    }

    /// The value of a bound global.
    pub fn get(&mut self, name: &str) -> Option<Value> {
        let cell = self.cell(&Symbol::intern(name));
        let value = cell.value.borrow().clone();
        if let Value::Unassigned = value {
            self.autoload(&cell)
        } else {
            Some(value)
        }
    }
}

/// Special forms; a local variable of the same name hides one.
const KEYWORDS: &[&str] = &[
    "quote", "quasiquote", "unquote", "unquote-splicing", "lambda", "define", "set!", "if", "cond", "case",
    "and", "or", "when", "unless", "let", "let*", "letrec", "letrec*", "do", "begin", "guard", "else", "=>",
    "define-syntax", "let-syntax", "letrec-syntax", "syntax-rules", "define-record-type", "delay", "delay-force",
    "parameterize", "case-lambda", "let-values", "let*-values", "define-values", "receive", "cond-expand", "import",
];

pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// A keyword as derived forms insert it: an alias that means the special form wherever it lands,
/// even where the operator has a local variable of that name.
pub fn kw(name: &str) -> Value {
    Value::Sym(Symbol::alias(&Symbol::intern(name), 0))
}

/// Deepest nesting of expressions the compiler follows. The reader's limit comes first for typed
/// input; this one guards `eval` of data built at run time and macro output.
const MAX_DEPTH: usize = 300;
/// Macro expansions in one top-level form, so a macro that expands into itself stops.
const MAX_EXPANSIONS: usize = 100_000;

/// The names one compile-time scope binds: a runtime frame's variables, and local macros.
#[derive(Default)]
struct Scope {
    vars: Vec<Symbol>,
    macros: Vec<(Symbol, Rc<Macro>)>,
}

impl Scope {
    fn of(vars: Vec<Symbol>) -> Scope {
        Scope { vars, macros: Vec::new() }
    }
}

/// What a symbol means where it is used.
enum Meaning {
    Local(usize, usize),
    Macro(Rc<Macro>),
    Special(Symbol),
    Global(Symbol),
}

pub struct Compiler<'a> {
    globals: &'a mut Globals,
    /// The scopes being compiled, innermost last; empty at top level.
    scopes: Vec<Scope>,
    depth: usize,
    /// Compiling the library: globals are the library's, operator macros do not apply.
    library: bool,
    expansions: usize,
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

/// A quoted or self-evaluating datum of the program: a constant, which must not change.
fn literal(datum: Value) -> R<NodeRef> {
    make_literal(&datum)?;
    Ok(node(Node::Const(datum)))
}

fn unspecified() -> NodeRef {
    node(Node::Const(Value::Unspecified))
}

fn prim(p: &'static crate::eval::Primitive) -> NodeRef {
    node(Node::Const(Value::Prim(p)))
}

/// The elements of a form, which must be a proper list.
pub fn parts(form: &str, x: &Value) -> R<Vec<Value>> {
    match list_to_vec(form, x) {
        Ok(items) => Ok(items),
        Err(_) => syntax_error(form, x),
    }
}

fn list2(a: Value, b: Value) -> Value {
    cons(a, cons(b, Value::Nil))
}

impl<'a> Compiler<'a> {
    pub fn new(globals: &'a mut Globals) -> Compiler<'a> {
        Compiler { globals, scopes: Vec::new(), depth: 0, library: false, expansions: 0 }
    }

    /// Compiles a top-level form.
    pub fn compile_toplevel(&mut self, x: &Value) -> R<NodeRef> {
        self.compile(x)
    }

    pub fn globals(&mut self) -> &mut Globals {
        self.globals
    }

    fn meaning(&self, s: &Symbol) -> Meaning {
        self.meaning_in(s, self.scopes.len())
    }

    /// What `s` means seen from the innermost `visible` scopes.
    fn meaning_in(&self, s: &Symbol, visible: usize) -> Meaning {
        for i in (0..visible).rev() {
            let scope = &self.scopes[i];
            if let Some(index) = scope.vars.iter().rposition(|n| n == s) {
                return Meaning::Local(self.scopes.len() - 1 - i, index);
            }
            if let Some((_, m)) = scope.macros.iter().rev().find(|(n, _)| n == s) {
                return Meaning::Macro(m.clone());
            }
        }
        if let Some(alias) = s.as_alias() {
            return self.meaning_in(&alias.original, alias.scopes.min(visible));
        }
        if !self.library {
            if let Some(m) = self.globals.macros.get(s.name()) {
                return Meaning::Macro(m.clone());
            }
        }
        if is_keyword(s.name()) {
            return Meaning::Special(s.clone());
        }
        Meaning::Global(s.clone())
    }

    fn lookup_local(&self, name: &Symbol) -> Option<(usize, usize)> {
        match self.meaning(name) {
            Meaning::Local(depth, index) => Some((depth, index)),
            _ => None,
        }
    }

    /// The special form a form's head names, if it names one.
    fn special_of(&self, head: &Value) -> Option<String> {
        match head {
            Value::Sym(s) => match self.meaning(s) {
                Meaning::Special(k) => Some(k.name().to_string()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `v` is the keyword `name` here (else, =>, ... in clauses).
    fn is_word(&self, v: &Value, name: &str) -> bool {
        matches!(v, Value::Sym(s) if s.name() == name && self.lookup_local(s).is_none())
    }

    fn macro_of(&self, head: &Value) -> Option<Rc<Macro>> {
        match head {
            Value::Sym(s) => match self.meaning(s) {
                Meaning::Macro(m) => Some(m),
                _ => None,
            },
            _ => None,
        }
    }

    fn expand(&mut self, m: &Macro, x: &Value) -> R<Value> {
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            return fail(format!("macro expansion did not end after {} steps", MAX_EXPANSIONS));
        }
        crate::eval::charge(1)?;
        m.expand(x)
    }

    fn compile(&mut self, x: &Value) -> R<NodeRef> {
        self.depth += 1;
        if self.depth > MAX_DEPTH || crate::value::stack_exhausted() {
            self.depth -= 1;
            return fail("expression nested too deeply");
        }
        let result = self.compile_inner(x);
        self.depth -= 1;
        result
    }

    fn compile_inner(&mut self, x: &Value) -> R<NodeRef> {
        match x {
            Value::Sym(s) => self.variable(s),
            Value::Pair(p) => {
                let head = p.car();
                if let Some(keyword) = self.special_of(&head) {
                    return self.special(&keyword, x);
                }
                if let Some(m) = self.macro_of(&head) {
                    let expansion = self.expand(&m, x)?;
                    return self.compile(&expansion);
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
            other => literal(other.clone()),
        }
    }

    fn variable(&mut self, s: &Symbol) -> R<NodeRef> {
        match self.meaning(s) {
            Meaning::Local(depth, index) => Ok(node(Node::Local { depth, index, name: s.clone() })),
            Meaning::Macro(_) | Meaning::Special(_) => fail(format!("{}: a keyword, not a variable", s.name())),
            Meaning::Global(g) => Ok(self.global_ref(&g)),
        }
    }

    fn global_ref(&mut self, s: &Symbol) -> NodeRef {
        if self.library {
            // Library code sees the library's bindings, frozen once bound.
            if let Some(cell) = self.globals.library_cell(s.base().name()) {
                let value = cell.value.borrow().clone();
                if !matches!(value, Value::Unassigned) {
                    return node(Node::Const(value));
                }
                return node(Node::Global(cell));
            }
        }
        node(Node::Global(self.globals.cell(s)))
    }

    #[inline(never)]
    fn special(&mut self, keyword: &str, x: &Value) -> R<NodeRef> {
        let items = parts(keyword, x)?;
        let args = &items[1..];
        match keyword {
            "quote" => match args {
                [datum] => literal(syntax::strip(datum)),
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
                    match self.meaning(name) {
                        Meaning::Local(depth, index) => Ok(node(Node::SetLocal { depth, index, value })),
                        Meaning::Global(g) => Ok(node(Node::SetGlobal { cell: self.globals.cell(&g), value })),
                        _ => fail(format!("set!: {} is a keyword, not a variable", name.name())),
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
            "guard" => self.guard(x, args),
            "define-syntax" => match args {
                [Value::Sym(name), spec] => {
                    let m = Rc::new(self.syntax_rules(spec, self.scopes.len())?);
                    if self.scopes.is_empty() {
                        self.globals.macros.insert(name.base().name().into(), m);
                    } else if let Some(scope) = self.scopes.last_mut() {
                        scope.macros.push((name.clone(), m));
                    }
                    Ok(unspecified())
                }
                _ => syntax_error("define-syntax", x),
            },
            "let-syntax" | "letrec-syntax" => self.local_syntax(keyword, x, args),
            "syntax-rules" => fail("syntax-rules: only inside define-syntax, let-syntax or letrec-syntax"),
            "import" => Ok(unspecified()),
            "else" | "=>" => fail(format!("{}: only allowed in cond, case or guard", keyword)),
            _ => {
                let expansion = crate::derived::rewrite(self, keyword, x, args)?;
                self.compile(&expansion)
            }
        }
    }

    /// `(let-syntax ((name spec) ...) body ...)` and `letrec-syntax`.
    #[inline(never)]
    fn local_syntax(&mut self, keyword: &str, x: &Value, args: &[Value]) -> R<NodeRef> {
    match args {
            [bindings, body @ ..] if !body.is_empty() => {
                // letrec-syntax's macros see each other (their scope is the new one).
                let defined_in = self.scopes.len() + usize::from(keyword == "letrec-syntax");
                let mut scope = Scope::default();
                for b in parts(keyword, bindings)? {
                    match parts(keyword, &b)?.as_slice() {
                        [Value::Sym(name), spec] => scope.macros.push((name.clone(), Rc::new(self.syntax_rules(spec, defined_in)?))),
                        _ => return syntax_error(keyword, x),
                    }
                }
                self.scopes.push(scope);
                let body = self.body(body);
                let scope = self.scopes.pop().unwrap_or_default();
                Ok(node(Node::Let { inits: Vec::new(), frame_size: scope.vars.len(), body: body? }))
            }
            _ => syntax_error(keyword, x),
        }
    }

    /// A `syntax-rules` spec whose template means what names mean in the innermost `scopes`.
    fn syntax_rules(&self, spec: &Value, scopes: usize) -> R<Macro> {
        match spec {
            Value::Pair(p) if matches!(p.car(), Value::Sym(ref s) if s.name() == "syntax-rules") => Macro::new(&p.cdr(), scopes),
            _ => fail(format!("define-syntax: expected (syntax-rules ...), got {}", write_short(spec))),
        }
    }

    /// Compiles `x`, naming it `name` if it is a lambda (for messages and printing).
    #[inline(never)]
    fn compile_named(&mut self, x: &Value, name: &Symbol) -> R<NodeRef> {
        if let Value::Pair(p) = x {
            if self.special_of(&p.car()).as_deref() == Some("lambda") {
                let items = parts("lambda", x)?;
                if items.len() >= 3 {
                    return Ok(node(Node::Lambda(self.lambda(Some(name.clone()), false, &items[1], &items[2..])?)));
                }
            }
        }
        self.compile(x)
    }

    #[inline(never)]
    fn define(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        let (name, value) = match args {
            [Value::Sym(name), value] => (name.clone(), self.compile_named(value, name)?),
            [Value::Sym(name)] => (name.clone(), unspecified()),
            [Value::Pair(signature), body @ ..] if !body.is_empty() => match signature.car() {
                Value::Sym(name) => {
                    let info = self.lambda(Some(name.clone()), false, &signature.cdr(), body)?;
                    (name, node(Node::Lambda(info)))
                }
                // Curried define: (define ((f a) b) ...) is (define (f a) (lambda (b) ...)).
                inner @ Value::Pair(_) => {
                    let lambda = cons(kw("lambda"), cons(signature.cdr(), list_from_vec(body.to_vec())));
                    return self.define(x, &[inner, lambda]);
                }
                _ => return syntax_error("define", x),
            },
            _ => return syntax_error("define", x),
        };
        match self.scopes.last() {
            None => {
                let cell = if self.library {
                    self.globals.library_cell(name.name())
                } else {
                    self.globals.macros.remove(name.base().name());
                    None
                };
                let cell = match cell {
                    Some(cell) => cell,
                    None => self.globals.cell(&name),
                };
                Ok(node(Node::DefineGlobal { cell, value }))
            }
            Some(scope) => match scope.vars.iter().rposition(|n| *n == name) {
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
    #[inline(never)]
    fn lambda(&mut self, name: Option<Symbol>, self_slot: bool, params: &Value, body: &[Value]) -> R<Rc<LambdaInfo>> {
        let (mut names, rest) = self.params(params)?;
        let required = names.len() - usize::from(rest);
        if let (true, Some(n)) = (self_slot, &name) {
            names.insert(0, n.clone());
        }
        self.scopes.push(Scope::of(names));
        let body = self.body(body);
        let scope = self.scopes.pop().unwrap_or_default();
        Ok(Rc::new(LambdaInfo { name, self_slot, required, rest, frame_size: scope.vars.len(), body: body? }))
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

    /// A body: macro uses and derived definitions at its start are expanded, internal
    /// define-syntax binds in the innermost scope, internal defines get slots there; then the
    /// expressions.
    #[inline(never)]
    fn body(&mut self, forms: &[Value]) -> R<NodeRef> {
        let mut expanded = Vec::with_capacity(forms.len());
        self.expand_body(forms, &mut expanded, 0)?;
        let mut defined = Vec::new();
        for form in &expanded {
            if let Value::Pair(p) = form {
                if self.special_of(&p.car()).as_deref() == Some("define") {
                    if let Value::Pair(rest) = p.cdr() {
                        let mut target = rest.car();
                        // (define ((f a) b) ...) defines f.
                        while let Value::Pair(sig) = target {
                            target = sig.car();
                        }
                        if let Value::Sym(s) = target {
                            defined.push(s);
                        }
                    }
                }
            }
        }
        if let Some(scope) = self.scopes.last_mut() {
            for name in defined {
                if !scope.vars.contains(&name) {
                    scope.vars.push(name);
                }
            }
        }
        self.sequence(&expanded)
    }

    #[inline(never)]
    fn expand_body(&mut self, forms: &[Value], out: &mut Vec<Value>, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return fail("expression nested too deeply");
        }
        for form in forms {
            let mut form = form.clone();
            loop {
                let head = match &form {
                    Value::Pair(p) => p.car(),
                    _ => break,
                };
                if let Some(m) = self.macro_of(&head) {
                    form = self.expand(&m, &form)?;
                    continue;
                }
                match self.special_of(&head).as_deref() {
                    Some("begin") => {
                        let inner = parts("begin", &form)?;
                        self.expand_body(&inner[1..], out, depth + 1)?;
                        form = Value::Unassigned;
                    }
                    Some("define-syntax") => {
                        self.compile(&form)?;
                        form = Value::Unassigned;
                    }
                    Some(k @ ("define-record-type" | "define-values")) => {
                        let items = parts(k, &form)?;
                        form = crate::derived::rewrite(self, k, &form, &items[1..])?;
                        continue;
                    }
                    _ => {}
                }
                break;
            }
            if !matches!(form, Value::Unassigned) {
                out.push(form);
            }
        }
        Ok(())
    }

    #[inline(never)]
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
                _ => return syntax_error(form, x),
            }
        }
        Ok(out)
    }

    #[inline(never)]
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
                self.scopes.push(Scope::of(names));
                let body = self.body(body);
                let scope = self.scopes.pop().unwrap_or_default();
                Ok(node(Node::Let { inits, frame_size: scope.vars.len(), body: body? }))
            }
            _ => syntax_error("let", x),
        }
    }

    /// `(let loop ((v init) ...) body)`: a call of a lambda that finds itself as `loop` in
    /// its own frame; the inits are evaluated outside.
    #[inline(never)]
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

    #[inline(never)]
    fn let_star(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        match args {
            [bindings, body @ ..] if !body.is_empty() => {
                let bindings = self.bindings("let*", x, bindings)?;
                // One frame; each init sees only the variables before it.
                self.scopes.push(Scope::default());
                let result = (|| -> R<(Vec<NodeRef>, NodeRef)> {
                    let mut inits = Vec::with_capacity(bindings.len());
                    for (name, init) in &bindings {
                        inits.push(self.compile_own_frame_value(init, name)?);
                        if let Some(scope) = self.scopes.last_mut() {
                            scope.vars.push(name.clone());
                        }
                    }
                    let body = self.body(body)?;
                    Ok((inits, body))
                })();
                let scope = self.scopes.pop().unwrap_or_default();
                let (inits, body) = result?;
                Ok(node(Node::Letrec { inits, frame_size: scope.vars.len(), body }))
            }
            _ => syntax_error("let*", x),
        }
    }

    #[inline(never)]
    fn letrec(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        match args {
            [bindings, body @ ..] if !body.is_empty() => {
                let bindings = self.bindings("letrec", x, bindings)?;
                self.scopes.push(Scope::of(bindings.iter().map(|(n, _)| n.clone()).collect()));
                let result = (|| -> R<(Vec<NodeRef>, NodeRef)> {
                    let mut inits = Vec::with_capacity(bindings.len());
                    for (name, init) in &bindings {
                        inits.push(self.compile_own_frame_value(init, name)?);
                    }
                    let body = self.body(body)?;
                    Ok((inits, body))
                })();
                let scope = self.scopes.pop().unwrap_or_default();
                let (inits, body) = result?;
                Ok(node(Node::Letrec { inits, frame_size: scope.vars.len(), body }))
            }
            _ => syntax_error("letrec", x),
        }
    }

    #[inline(never)]
    fn cond(&mut self, x: &Value, clauses: &[Value]) -> R<NodeRef> {
        // Built from the last clause backwards, so no recursion per clause.
        let mut rest = unspecified();
        for (i, clause) in clauses.iter().enumerate().rev() {
            let items = parts("cond", clause)?;
            let is_else = items.first().map_or(false, |v| self.is_word(v, "else"));
            let is_arrow = items.get(1).map_or(false, |v| self.is_word(v, "=>"));
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
            [arrow, receiver] if self.is_word(arrow, "=>") => Ok(CaseBody::Arrow(self.compile(receiver)?)),
            [] => syntax_error("case", x),
            _ => Ok(CaseBody::Exprs(self.sequence(body)?)),
        }
    }

    #[inline(never)]
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
                [word, body @ ..] if self.is_word(word, "else") => {
                    if i + 1 != clauses.len() {
                        return fail("case: else must be the last clause");
                    }
                    default = Some(self.case_body(x, body)?);
                }
                [data, body @ ..] => {
                    let data = parts("case", &syntax::strip(data))?;
                    compiled.push(CaseClause { data, body: self.case_body(x, body)? });
                }
                [] => return syntax_error("case", x),
            }
        }
        Ok(node(Node::Case { key, clauses: compiled, default }))
    }

    /// `(guard (var clause ...) body ...)`: clauses as in cond; none matching re-raises.
    #[inline(never)]
    fn guard(&mut self, x: &Value, args: &[Value]) -> R<NodeRef> {
        let (var, clauses, body) = match args {
            [spec, body @ ..] if !body.is_empty() => match parts("guard", spec)?.as_slice() {
                [Value::Sym(var), clauses @ ..] => (var.clone(), clauses.to_vec(), body),
                _ => return syntax_error("guard", x),
            },
            _ => return syntax_error("guard", x),
        };
        let body_form = cons(kw("let"), cons(Value::Nil, list_from_vec(body.to_vec())));
        let body = self.compile(&body_form)?;
        self.scopes.push(Scope::of(vec![var.clone()]));
        let handler = (|| -> R<NodeRef> {
            let has_else = clauses.iter().any(|c| match c {
                Value::Pair(p) => self.is_word(&p.car(), "else"),
                _ => false,
            });
            let mut clauses = clauses.clone();
            if !has_else {
                let reraise = list2(Value::Prim(&builtins::RAISE), Value::Sym(var.clone()));
                clauses.push(list2(kw("else"), reraise));
            }
            self.cond(x, &clauses)
        })();
        self.scopes.pop();
        Ok(node(Node::Guard { body, handler: handler? }))
    }

    // -- quasiquote ------------------------------------------------------------------------

    fn quasi(&mut self, template: &Value, depth: usize) -> R<NodeRef> {
        self.depth += 1;
        if self.depth > MAX_DEPTH || crate::value::stack_exhausted() {
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

    #[inline(never)]
    fn quasi_inner(&mut self, template: &Value, depth: usize) -> R<NodeRef> {
        if !Self::has_unquote(template, 0, &mut HashSet::new()) {
            return Ok(node(Node::Const(template.clone())));
        }
        if is_circular(template) {
            return fail(format!("quasiquote: circular template {}", write_short(template)));
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

    /// Whether a template contains an unquote anywhere (otherwise it is a constant); `seen`
    /// holds the pairs and vectors already looked at (a template may be circular).
    fn has_unquote(v: &Value, depth: usize, seen: &mut HashSet<usize>) -> bool {
        if depth > MAX_DEPTH {
            return true; // too deep to tell: compiling it reports the depth
        }
        // Iterative over the spine, recursive into elements.
        let mut cur = v.clone();
        loop {
            match cur {
                Value::Pair(p) => {
                    if !seen.insert(Rc::as_ptr(&p) as usize) {
                        return false;
                    }
                    let head = p.car();
                    if let Value::Sym(s) = &head {
                        if s.name() == "unquote" || s.name() == "unquote-splicing" {
                            return true;
                        }
                    }
                    if Self::has_unquote(&head, depth + 1, seen) {
                        return true;
                    }
                    cur = p.cdr();
                }
                Value::Vector(vec) => {
                    return seen.insert(Rc::as_ptr(&vec) as usize)
                        && vec.items.borrow().iter().any(|x| Self::has_unquote(x, depth + 1, seen))
                }
                _ => return false,
            }
        }
    }

}
