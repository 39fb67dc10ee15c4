//! The primitive procedures: the lookup by name (globals bind a primitive when a program first
//! names it), argument checking helpers, and the core primitives (equality, errors, exit,
//! format, diagnostics, the file-less stand-ins). The data-type families live in their own
//! modules and are listed in [`TABLES`]; to add a primitive, put it in its family's `PRIMS`.
//! Higher-order library procedures (map, sort, ...) are Scheme code in `library.rs`, so they
//! run on the evaluator's explicit stack like user code.

use std::rc::Rc;

use crate::eval::{Interp, Primitive, Special};
use crate::printer::{display_string, write_short, write_string};
use crate::value::{
    cons, eqv, equal, fail, list_from_vec, list_to_vec, pair_bytes, reserve_n, Error, ErrorObj, Pair, SString, Symbol,
    Value, R,
};
use std::cell::Ref;

/// A primitive table entry: name, fewest and most arguments (ANY: no maximum), function.
macro_rules! prim {
    ($name:expr, $min:expr, $max:expr, $func:expr) => {
        crate::eval::Primitive {
            name: $name,
            min_args: $min,
            max_args: $max,
            func: $func,
            special: crate::eval::Special::No,
        }
    };
}
pub(crate) use prim;

pub const ANY: Option<usize> = None;

// Primitives the compiler refers to directly (quasiquote, guard) or the evaluator treats
// specially (apply, eval).
pub static LIST: Primitive = prim!("list", 0, ANY, list);
pub static CONS: Primitive = prim!("cons", 2, Some(2), |_, a| Ok(cons(a[0].clone(), a[1].clone())));
pub static QQ_APPEND: Primitive = prim!("append", 0, ANY, append);
pub static LIST_TO_VECTOR: Primitive = prim!("list->vector", 1, Some(1), crate::vectors::list_to_vector);
pub static RAISE: Primitive = prim!("raise", 1, Some(1), |_, a| Err(Error::Raise(Box::new(a[0].clone()))));
pub static APPLY: Primitive = Primitive {
    name: "apply",
    min_args: 2,
    max_args: None,
    func: |_, _| fail("apply: internal error"),
    special: Special::Apply,
};
pub static EVAL: Primitive = Primitive {
    name: "eval",
    min_args: 1,
    max_args: Some(2),
    func: |_, _| fail("eval: internal error"),
    special: Special::Eval,
};

static CORE: &[Primitive] = &[
    prim!("eq?", 2, Some(2), |_, a| Ok(Value::Bool(eqv(&a[0], &a[1])))),
    prim!("eqv?", 2, Some(2), |_, a| Ok(Value::Bool(eqv(&a[0], &a[1])))),
    prim!("equal?", 2, Some(2), |_, a| Ok(Value::Bool(equal(&a[0], &a[1])?))),
    prim!("not", 1, Some(1), |_, a| Ok(Value::Bool(!a[0].is_true()))),
    prim!("boolean?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Bool(_))))),
    prim!("boolean=?", 2, ANY, boolean_eq),
    prim!("procedure?", 1, Some(1), |_, a| Ok(Value::Bool(a[0].is_procedure()))),
    prim!("error", 1, ANY, error_prim),
    prim!("error-object?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Error(_))))),
    prim!("error-object-irritants", 1, Some(1), error_irritants),
    prim!("condition/report-string", 1, Some(1), |_, a| Ok(Value::str(report(&a[0])))),
    prim!("exit", 0, Some(1), |_, _| Err(Error::Exit)),
    prim!("quit", 0, Some(1), |_, _| Err(Error::Exit)),
    prim!("void", 0, ANY, |_, _| Ok(Value::Unspecified)),
    prim!("error-object-message", 1, Some(1), error_message),
    prim!("file-error?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Error(e) if e.message.starts_with(NO_FILES))))),
    // There are no files in a shell (the host gives it none): opening one is a file error.
    prim!("open-input-file", 1, Some(1), no_files),
    prim!("open-output-file", 1, Some(1), no_files),
    prim!("open-binary-input-file", 1, Some(1), no_files),
    prim!("open-binary-output-file", 1, Some(1), no_files),
    prim!("call-with-input-file", 2, Some(2), no_files),
    prim!("call-with-output-file", 2, Some(2), no_files),
    prim!("with-input-from-file", 2, Some(2), no_files),
    prim!("with-output-to-file", 2, Some(2), no_files),
    prim!("delete-file", 1, Some(1), no_files),
    prim!("load", 1, Some(2), no_files),
    prim!("file-exists?", 1, Some(1), no_files),
    // (scheme process-context) and (scheme eval): one environment, no process to ask.
    prim!("command-line", 0, Some(0), |_, _| make_list(vec![Value::str("scheme")])),
    // The host gives the shell no environment variables. Answering #f (or '()) would tell a
    // program that PATH or HOME is unset, which is not so on the host: it is an error instead.
    prim!("get-environment-variable", 1, Some(1), |_, a| {
        fail(format!("{}: the shell has no environment variables ({})", NO_ENVIRONMENT, write_short(&a[0])))
    }),
    prim!("get-environment-variables", 0, Some(0), |_, _| {
        fail(format!("{}: the shell has no environment variables", NO_ENVIRONMENT))
    }),
    prim!("features", 0, Some(0), |_, _| make_list(crate::derived::FEATURES.iter().map(|f| Value::sym(f)).collect())),
    prim!("environment", 0, ANY, |_, _| Ok(Value::sym("environment"))),
    prim!("interaction-environment", 0, Some(0), |_, _| Ok(Value::sym("environment"))),
    prim!("scheme-report-environment", 0, Some(1), |_, _| Ok(Value::sym("environment"))),
    prim!("null-environment", 0, Some(1), |_, _| Ok(Value::sym("environment"))),
    prim!("read-error?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Error(e) if e.message.starts_with("read:"))))),
    prim!("format", 1, ANY, format_prim),
    prim!("help", 0, Some(1), crate::help::help),
    prim!("%help-names", 0, Some(0), crate::help::names),
    prim!("%library-names", 0, Some(0), |_, _| make_list(crate::library::names().into_iter().map(Value::sym).collect())),
    // Diagnostics: the accounted Scheme data, and the guest's linear memory.
    prim!("%heap-bytes", 0, Some(0), |_, _| Ok(Value::Int(crate::value::heap_used() as i64))),
    prim!("%heap-limit", 0, Some(0), |_, _| Ok(Value::Int(crate::value::heap_limit() as i64))),
    prim!("%memory-bytes", 0, Some(0), |_, _| Ok(Value::Int(memory_bytes()))),
    prim!("%check-procedure", 2, Some(2), |_, a| {
        procedure(symbol("%check-procedure", &a[0])?.name(), &a[1])?;
        Ok(Value::Unspecified)
    }),
    prim!("%check-list", 2, Some(2), |_, a| {
        list_to_vec(symbol("%check-list", &a[0])?.name(), &a[1])?;
        Ok(Value::Unspecified)
    }),
];

const NO_FILES: &str = "no files here";
const NO_ENVIRONMENT: &str = "no environment here";

fn no_files(_: &mut Interp, a: &[Value]) -> R<Value> {
    fail(format!("{}: the shell has no file system ({})", NO_FILES, write_short(&a[0])))
}

/// Every table of primitives.
static TABLES: &[&[Primitive]] = &[
    CORE,
    crate::numbers::PRIMS,
    crate::lists::PRIMS,
    crate::lists::ACCESSORS,
    crate::strings::PRIMS,
    crate::vectors::PRIMS,
    crate::bytevectors::PRIMS,
    crate::tables::PRIMS,
    crate::ports::PRIMS,
    crate::objects::PRIMS,
    crate::host::PRIMS,
];

static NAMED: &[&Primitive] = &[&LIST, &CONS, &QQ_APPEND, &LIST_TO_VECTOR, &RAISE, &APPLY, &EVAL];

/// The primitive called `name`, if there is one (globals bind them on first use).
pub fn primitive(name: &str) -> Option<&'static Primitive> {
    if let Some(p) = NAMED.iter().find(|p| p.name == name) {
        return Some(p);
    }
    TABLES.iter().flat_map(|t| t.iter()).find(|p| p.name == name)
}

#[cfg(target_arch = "wasm32")]
fn memory_bytes() -> i64 {
    core::arch::wasm32::memory_size(0) as i64 * 65536
}

#[cfg(not(target_arch = "wasm32"))]
fn memory_bytes() -> i64 {
    0
}

// ---------------------------------------------------------------------------------------------
// Argument helpers: each names the procedure in its error.

pub fn type_error<T>(who: &str, expected: &str, got: &Value) -> R<T> {
    fail(format!("{}: expected {}, got {}", who, expected, write_short(got)))
}

pub fn int(who: &str, v: &Value) -> R<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Ok(*r as i64),
        _ => type_error(who, "an integer", v),
    }
}

/// A non-negative integer used as an index or count.
pub fn index(who: &str, v: &Value) -> R<usize> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as usize),
        _ => type_error(who, "a non-negative integer", v),
    }
}

pub fn string<'a>(who: &str, v: &'a Value) -> R<Ref<'a, String>> {
    Ok(sstring(who, v)?.borrow())
}

pub fn sstring<'a>(who: &str, v: &'a Value) -> R<&'a std::rc::Rc<SString>> {
    match v {
        Value::Str(s) => Ok(s),
        _ => type_error(who, "a string", v),
    }
}

pub fn symbol<'a>(who: &str, v: &'a Value) -> R<&'a Symbol> {
    match v {
        Value::Sym(s) => Ok(s),
        _ => type_error(who, "a symbol", v),
    }
}

pub fn character(who: &str, v: &Value) -> R<char> {
    match v {
        Value::Char(c) => Ok(*c),
        _ => type_error(who, "a character", v),
    }
}

pub fn pair<'a>(who: &str, v: &'a Value) -> R<&'a Rc<Pair>> {
    match v {
        Value::Pair(p) => Ok(p),
        _ => type_error(who, "a pair", v),
    }
}

pub fn procedure(who: &str, v: &Value) -> R<()> {
    if v.is_procedure() {
        Ok(())
    } else {
        type_error(who, "a procedure", v)
    }
}

/// Builds a list, checking the heap budget first.
pub fn make_list(items: Vec<Value>) -> R<Value> {
    reserve_n(items.len(), pair_bytes())?;
    Ok(list_from_vec(items))
}

// ---------------------------------------------------------------------------------------------

fn list(_: &mut Interp, args: &[Value]) -> R<Value> {
    make_list(args.to_vec())
}

/// `(append list ... tail)`: copies all but the last argument, which is shared.
pub fn append(_: &mut Interp, args: &[Value]) -> R<Value> {
    let (last, init) = match args.split_last() {
        Some(x) => x,
        None => return Ok(Value::Nil),
    };
    let mut items = Vec::new();
    for a in init {
        items.extend(list_to_vec("append", a)?);
    }
    reserve_n(items.len(), pair_bytes())?;
    Ok(crate::value::list_with_tail(items, last.clone()))
}

fn boolean_eq(_: &mut Interp, args: &[Value]) -> R<Value> {
    let mut first = None;
    for a in args {
        match a {
            Value::Bool(b) => {
                if *first.get_or_insert(*b) != *b {
                    return Ok(Value::Bool(false));
                }
            }
            _ => return type_error("boolean=?", "a boolean", a),
        }
    }
    Ok(Value::Bool(true))
}

/// `(error message irritant ...)`; a symbol first names the reporting procedure.
fn error_prim(_: &mut Interp, args: &[Value]) -> R<Value> {
    let (message, irritants) = match args {
        [Value::Sym(who), Value::Str(msg), rest @ ..] => (format!("{}: {}", who.name(), msg.borrow()), rest),
        [Value::Str(msg), rest @ ..] => (msg.borrow().clone(), rest),
        [other, rest @ ..] => (display_string(other), rest),
        [] => (String::new(), &[][..]),
    };
    Err(Error::Raise(Box::new(Value::Error(Rc::new(ErrorObj { message, irritants: irritants.to_vec() })))))
}

fn error_message(_: &mut Interp, args: &[Value]) -> R<Value> {
    match &args[0] {
        Value::Error(e) => Ok(Value::str(e.message.clone())),
        other => type_error("error-object-message", "an error object", other),
    }
}

fn error_irritants(_: &mut Interp, args: &[Value]) -> R<Value> {
    match &args[0] {
        Value::Error(e) => make_list(e.irritants.clone()),
        other => type_error("error-object-irritants", "an error object", other),
    }
}

/// The one-line text of a raised object, as the REPL prints it after "error: ".
pub fn report(condition: &Value) -> String {
    match condition {
        Value::Error(e) => {
            let mut text = e.message.clone();
            for irritant in &e.irritants {
                text.push(' ');
                text.push_str(&write_short(irritant));
            }
            text
        }
        other => format!("uncaught exception: {}", write_short(other)),
    }
}

/// `(format dest template arg ...)`, dest #f for a string or #t for output; the destination
/// may be left out. Directives: ~a display, ~s write, ~d number, ~% newline, ~~ tilde.
fn format_prim(interp: &mut Interp, args: &[Value]) -> R<Value> {
    let (to_output, template, rest) = match args {
        [Value::Bool(dest), Value::Str(t), rest @ ..] => (*dest, t.borrow().clone(), rest),
        [Value::Str(t), rest @ ..] => (false, t.borrow().clone(), rest),
        [other, ..] => return type_error("format", "a template string", other),
        [] => return fail("format: expected a template string"),
    };
    let mut out = String::new();
    let mut values = rest.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a' | 'A' | 'd' | 'D') => match values.next() {
                Some(v) => out.push_str(&display_string(v)),
                None => return fail("format: too few arguments for the template"),
            },
            Some('s' | 'S') => match values.next() {
                Some(v) => out.push_str(&write_string(v)),
                None => return fail("format: too few arguments for the template"),
            },
            Some('%' | 'n') => out.push('\n'),
            Some('~') => out.push('~'),
            Some(other) => return fail(format!("format: unknown directive ~{}", other)),
            None => return fail("format: template ends with ~"),
        }
        if out.len() > crate::printer::MAX_CHARS {
            return fail("format: result too long");
        }
    }
    if values.next().is_some() {
        return fail("format: too many arguments for the template");
    }
    if to_output {
        crate::ports::put(interp, None, &out)
    } else {
        Ok(Value::str(out))
    }
}
