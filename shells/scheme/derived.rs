//! Derived forms, rewritten into core forms and calls before compiling: do, records, promises,
//! parameterize, case-lambda, the multiple-value binders and cond-expand. Keywords inserted
//! here are aliases ([`kw`]) and procedures are inserted as values, so a rewrite means the same
//! whatever the operator has bound those names to. To add one: a keyword in compile.rs and a
//! case in [`rewrite`].

use std::rc::Rc;

use crate::builtins;
use crate::compile::{kw, parts, Compiler};
use crate::objects::RecordType;
use crate::printer::write_short;
use crate::value::{cons, fail, list_from_vec, list_with_tail, Symbol, Value, R};

fn l(items: Vec<Value>) -> Value {
    list_from_vec(items)
}

fn prim(name: &str) -> Value {
    builtins::primitive(name).map_or(Value::Unassigned, Value::Prim)
}

fn bad<T>(form: &str, x: &Value) -> R<T> {
    fail(format!("{}: bad syntax in {}", form, write_short(x)))
}

/// `(lambda () body...)`
fn thunk(body: Vec<Value>) -> Value {
    cons(kw("lambda"), cons(Value::Nil, list_from_vec(body)))
}

fn fresh(name: &str) -> Value {
    Value::Sym(Symbol::fresh(name))
}

pub fn rewrite(c: &mut Compiler, keyword: &str, x: &Value, args: &[Value]) -> R<Value> {
    match keyword {
        "do" => do_loop(x, args),
        "define-record-type" => record_type(x, args),
        "delay" => match args {
            [e] => Ok(l(vec![prim("%make-lazy-promise"), thunk(vec![l(vec![prim("make-promise"), e.clone()])])])),
            _ => bad(keyword, x),
        },
        "delay-force" => match args {
            [e] => Ok(l(vec![prim("%make-lazy-promise"), thunk(vec![e.clone()])])),
            _ => bad(keyword, x),
        },
        "parameterize" => match args {
            [bindings, body @ ..] if !body.is_empty() => {
                let mut params = vec![prim("list")];
                let mut values = vec![prim("list")];
                for b in parts(keyword, bindings)? {
                    match parts(keyword, &b)?.as_slice() {
                        [p, v] => {
                            params.push(p.clone());
                            values.push(v.clone());
                        }
                        _ => return bad(keyword, x),
                    }
                }
                let helper = c.globals().library_value("%parameterize");
                Ok(l(vec![helper, l(params), l(values), thunk(body.to_vec())]))
            }
            _ => bad(keyword, x),
        },
        "case-lambda" => {
            let mut clauses = vec![prim("list")];
            for clause in args {
                match clause {
                    Value::Pair(p) => clauses.push(cons(kw("lambda"), cons(p.car(), p.cdr()))),
                    _ => return bad(keyword, x),
                }
            }
            let (all, rest) = (fresh("clauses"), fresh("args"));
            let dispatch = c.globals().library_value("%case-lambda");
            Ok(l(vec![
                kw("let"),
                l(vec![l(vec![all.clone(), l(clauses)])]),
                l(vec![kw("lambda"), rest.clone(), l(vec![dispatch, rest, all])]),
            ]))
        }
        "receive" => match args {
            [formals, expr, body @ ..] if !body.is_empty() => {
                let consumer = cons(kw("lambda"), cons(formals.clone(), list_from_vec(body.to_vec())));
                Ok(l(vec![c.globals().library_value("call-with-values"), thunk(vec![expr.clone()]), consumer]))
            }
            _ => bad(keyword, x),
        },
        "let-values" | "let*-values" => match args {
            [bindings, body @ ..] if !body.is_empty() => {
                let bindings = parts(keyword, bindings)?;
                let cwv = c.globals().library_value("call-with-values");
                if keyword == "let*-values" {
                    // Each binding sees the ones before it: one let-values inside the next.
                    let mut result = cons(kw("let"), cons(Value::Nil, list_from_vec(body.to_vec())));
                    for b in bindings.into_iter().rev() {
                        result = l(vec![kw("let-values"), l(vec![b]), result]);
                    }
                    return Ok(result);
                }
                // All inits are evaluated outside; their values are bound at the end.
                let mut renames = Vec::new();
                let mut steps = Vec::new();
                for b in &bindings {
                    match parts(keyword, b)?.as_slice() {
                        [formals, init] => {
                            let temps = rename_formals(formals, &mut renames)?;
                            steps.push((temps, init.clone()));
                        }
                        _ => return bad(keyword, x),
                    }
                }
                let lets = renames.into_iter().map(|(var, temp)| l(vec![var, temp])).collect();
                let mut result = cons(kw("let"), cons(l(lets), list_from_vec(body.to_vec())));
                for (temps, init) in steps.into_iter().rev() {
                    result = l(vec![cwv.clone(), thunk(vec![init]), l(vec![kw("lambda"), temps, result])]);
                }
                Ok(result)
            }
            _ => bad(keyword, x),
        },
        "define-values" => match args {
            [formals, expr] => {
                let mut renames = Vec::new();
                let temps = rename_formals(formals, &mut renames)?;
                let mut out = vec![kw("begin")];
                let mut sets = vec![kw("lambda"), temps];
                for (var, temp) in renames {
                    out.push(l(vec![kw("define"), var.clone()]));
                    sets.push(l(vec![kw("set!"), var, temp]));
                }
                sets.push(Value::Unspecified);
                out.push(l(vec![c.globals().library_value("call-with-values"), thunk(vec![expr.clone()]), l(sets)]));
                Ok(l(out))
            }
            _ => bad(keyword, x),
        },
        "cond-expand" => {
            for clause in args {
                let items = parts(keyword, clause)?;
                if let Some((req, body)) = items.split_first() {
                    if requirement(req)? {
                        return Ok(cons(kw("begin"), list_from_vec(body.to_vec())));
                    }
                }
            }
            Ok(Value::Unspecified)
        }
        _ => fail(format!("{}: not supported", keyword)),
    }
}

/// A copy of a formals list with fresh variables; `renames` gets (variable, fresh) pairs.
fn rename_formals(formals: &Value, renames: &mut Vec<(Value, Value)>) -> R<Value> {
    let mut temps = Vec::new();
    let mut cur = formals.clone();
    loop {
        match cur {
            Value::Pair(p) => {
                let t = fresh("value");
                renames.push((p.car(), t.clone()));
                temps.push(t);
                cur = p.cdr();
            }
            Value::Nil => return Ok(list_from_vec(temps)),
            v @ Value::Sym(_) => {
                let t = fresh("values");
                renames.push((v, t.clone()));
                return Ok(list_with_tail(temps, t));
            }
            other => return fail(format!("bad formals {}", write_short(&other))),
        }
    }
}

/// Features cond-expand knows.
pub const FEATURES: &[&str] = &["r7rs", "opshell", "full-unicode", "srfi-1", "srfi-2", "srfi-8", "srfi-9", "srfi-39", "srfi-69"];

fn requirement(req: &Value) -> R<bool> {
    match req {
        Value::Sym(s) => Ok(s.name() == "else" || FEATURES.contains(&s.name())),
        Value::Pair(p) => {
            let items = parts("cond-expand", req)?;
            let word = match p.car() {
                Value::Sym(s) => s.base().name().to_string(),
                _ => return Ok(false),
            };
            match word.as_str() {
                "and" => {
                    for r in &items[1..] {
                        if !requirement(r)? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                }
                "or" => {
                    for r in &items[1..] {
                        if requirement(r)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
                "not" => Ok(!requirement(items.get(1).unwrap_or(&Value::Nil))?),
                "library" => Ok(matches!(items.get(1), Some(Value::Pair(lib)) if matches!(lib.car(), Value::Sym(ref s) if s.name() == "scheme" || s.name() == "srfi"))),
                _ => Ok(false),
            }
        }
        _ => Ok(false),
    }
}

/// `(do ((var init step) ...) (test result ...) body ...)` as a named let.
fn do_loop(x: &Value, args: &[Value]) -> R<Value> {
    let (specs, exit, body) = match args {
        [specs, exit, body @ ..] => (parts("do", specs)?, parts("do", exit)?, body),
        _ => return bad("do", x),
    };
    let loop_name = fresh("do-loop");
    let mut bindings = Vec::new();
    let mut steps = Vec::new();
    for spec in &specs {
        match parts("do", spec)?.as_slice() {
            [var @ Value::Sym(_), init] => {
                bindings.push(l(vec![var.clone(), init.clone()]));
                steps.push(var.clone());
            }
            [var @ Value::Sym(_), init, step] => {
                bindings.push(l(vec![var.clone(), init.clone()]));
                steps.push(step.clone());
            }
            _ => return bad("do", x),
        }
    }
    let (test, results) = match exit.as_slice() {
        [test, results @ ..] => (test.clone(), results.to_vec()),
        [] => return bad("do", x),
    };
    let next = cons(loop_name.clone(), list_from_vec(steps));
    let mut again = vec![kw("begin")];
    again.extend(body.iter().cloned());
    again.push(next);
    let mut done = vec![kw("begin"), Value::Unspecified];
    done.extend(results);
    Ok(l(vec![kw("let"), loop_name, l(bindings), l(vec![kw("if"), test, l(done), l(again)])]))
}

/// `(define-record-type name (ctor field ...) pred (field accessor [modifier]) ...)`.
fn record_type(x: &Value, args: &[Value]) -> R<Value> {
    let (name, ctor, pred, specs) = match args {
        [name, ctor, pred, specs @ ..] => (name, ctor, pred, specs),
        _ => return bad("define-record-type", x),
    };
    let type_name = match name {
        Value::Sym(s) => s.clone(),
        Value::Pair(p) => match p.car() {
            Value::Sym(s) => s,
            _ => return bad("define-record-type", x),
        },
        _ => return bad("define-record-type", x),
    };
    let mut fields: Vec<Symbol> = Vec::new();
    let mut accessors = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let items = match spec {
            Value::Sym(s) => vec![Value::Sym(s.clone())],
            _ => parts("define-record-type", spec)?,
        };
        match items.as_slice() {
            [Value::Sym(field), rest @ ..] if rest.len() <= 2 => {
                fields.push(field.base());
                accessors.push((i, rest.to_vec()));
            }
            _ => return bad("define-record-type", x),
        }
    }
    let rtype = Value::RecordType(Rc::new(RecordType {
        name: type_name.base().name().trim_start_matches('<').trim_end_matches('>').to_string(),
        fields: fields.clone(),
    }));
    let define = |n: Value, v: Value| l(vec![kw("define"), n, v]);
    let mut out = vec![kw("begin"), define(Value::Sym(type_name), rtype.clone())];
    let ctor_fields: Option<(Value, Vec<Symbol>)> = match ctor {
        Value::Bool(false) => None,
        Value::Sym(s) => Some((Value::Sym(s.clone()), fields.clone())),
        Value::Pair(p) => {
            let items = parts("define-record-type", ctor)?;
            let mut names = Vec::new();
            for item in &items[1..] {
                match item {
                    Value::Sym(s) if fields.iter().any(|f| *f == s.base()) => names.push(s.base()),
                    other => return fail(format!("define-record-type: {} is not a field", write_short(other))),
                }
            }
            Some((p.car(), names))
        }
        _ => return bad("define-record-type", x),
    };
    if let Some((ctor_name, names)) = ctor_fields {
        let temps: Vec<Value> = names.iter().map(|n| fresh(n.name())).collect();
        let mut make = vec![prim("%make-record"), rtype.clone()];
        for f in &fields {
            match names.iter().position(|n| n == f) {
                Some(i) => make.push(temps[i].clone()),
                None => make.push(Value::Bool(false)),
            }
        }
        out.push(define(ctor_name, l(vec![kw("lambda"), l(temps), l(make)])));
    }
    if let Value::Sym(_) = pred {
        let obj = fresh("obj");
        out.push(define(pred.clone(), l(vec![kw("lambda"), l(vec![obj.clone()]), l(vec![prim("%record-of?"), obj, rtype.clone()])])));
    }
    for (index, names) in accessors {
        let (obj, v) = (fresh("obj"), fresh("value"));
        let i = Value::Int(index as i64);
        if let Some(get @ Value::Sym(_)) = names.first() {
            let quoted = l(vec![kw("quote"), get.clone()]);
            let body = l(vec![prim("%record-ref"), obj.clone(), rtype.clone(), i.clone(), quoted]);
            out.push(define(get.clone(), l(vec![kw("lambda"), l(vec![obj.clone()]), body])));
        }
        if let Some(set @ Value::Sym(_)) = names.get(1) {
            let quoted = l(vec![kw("quote"), set.clone()]);
            let body = l(vec![prim("%record-set!"), obj.clone(), rtype.clone(), i, v.clone(), quoted]);
            out.push(define(set.clone(), l(vec![kw("lambda"), l(vec![obj, v]), body])));
        }
    }
    Ok(l(out))
}
