//! `syntax-rules` macros: matching a use against the rules' patterns and filling in the
//! template. Hygiene: every symbol the template inserts (other than pattern variables) becomes a
//! fresh alias of itself (value.rs, [`Symbol::alias`]); the compiler gives an alias that nothing
//! in the expansion binds the meaning its original had where the macro was defined, so a
//! macro's `let`, `if` or temporary variable neither captures nor is captured by the user's.
//! `quote` strips aliases back to plain symbols ([`strip`]).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::printer::write_short;
use crate::value::{cons, fail, is_circular, list_with_tail, Symbol, Value, Vector, R};

pub struct Macro {
    literals: Vec<Symbol>,
    ellipsis: String,
    rules: Vec<(Value, Value)>,
    /// Compile-time scopes around the definition (what aliases resolve against).
    scopes: usize,
}

/// What a pattern variable matched: one form, or a sequence under an ellipsis.
enum Binding {
    One(Value),
    Many(Vec<Binding>),
}

type Bindings = HashMap<usize, Binding>;

fn is_named(v: &Value, name: &str) -> bool {
    matches!(v, Value::Sym(s) if s.base().name() == name)
}

impl Macro {
    /// From the part of `(syntax-rules [ellipsis] (literal ...) (pattern template) ...)` after
    /// the keyword.
    pub fn new(spec: &Value, scopes: usize) -> R<Macro> {
        let mut items = crate::compile::parts("syntax-rules", spec)?;
        let mut ellipsis = "...".to_string();
        if let Some(Value::Sym(s)) = items.first() {
            ellipsis = s.base().name().to_string();
            items.remove(0);
        }
        let (literals, rules) = match items.split_first() {
            Some((lits, rules)) => (lits.clone(), rules),
            None => return fail("syntax-rules: expected a list of literals"),
        };
        let literals = crate::compile::parts("syntax-rules", &literals)?
            .into_iter()
            .map(|l| match l {
                Value::Sym(s) => Ok(s),
                other => fail(format!("syntax-rules: literal {} is not a symbol", write_short(&other))),
            })
            .collect::<R<Vec<_>>>()?;
        // An ellipsis listed among the literals is matched literally, not as an ellipsis.
        if literals.iter().any(|l| l.base().name() == ellipsis) {
            ellipsis = String::new();
        }
        let mut parsed = Vec::new();
        for rule in rules {
            match crate::compile::parts("syntax-rules", rule)?.as_slice() {
                [Value::Pair(p), template] => parsed.push((p.cdr(), template.clone())),
                _ => return fail(format!("syntax-rules: bad rule {}", write_short(rule))),
            }
        }
        Ok(Macro { literals, ellipsis, rules: parsed, scopes })
    }

    /// The expansion of `form` (whose head names this macro).
    pub fn expand(&self, form: &Value) -> R<Value> {
        let args = match form {
            Value::Pair(p) => p.cdr(),
            _ => return fail("macro use is not a list"),
        };
        for (pattern, template) in &self.rules {
            let mut b = Bindings::new();
            if self.matches(pattern, &args, &mut b) {
                let mut renames = HashMap::new();
                return self.fill(template, &b, &mut renames);
            }
        }
        fail(format!("no syntax rule matches {}", write_short(form)))
    }

    fn is_ellipsis(&self, v: &Value) -> bool {
        is_named(v, &self.ellipsis)
    }

    fn is_literal(&self, s: &Symbol) -> bool {
        self.literals.iter().any(|l| l == s)
    }

    fn matches(&self, pattern: &Value, form: &Value, b: &mut Bindings) -> bool {
        if crate::value::stack_exhausted() {
            return false;
        }
        match pattern {
            Value::Sym(s) => {
                if self.is_literal(s) {
                    matches!(form, Value::Sym(f) if f.base().name() == s.base().name())
                } else {
                    if s.base().name() != "_" {
                        b.insert(s.ptr(), Binding::One(form.clone()));
                    }
                    true
                }
            }
            Value::Pair(_) => {
                match (spine(pattern), spine(form)) {
                    (Ok((items, tail)), Ok((forms, form_tail))) => {
                        self.match_sequence(&items, &tail, &forms, &form_tail, b)
                    }
                    _ => false,
                }
            }
            Value::Nil => matches!(form, Value::Nil),
            Value::Vector(v) => match form {
                Value::Vector(f) => {
                    let items = v.items.borrow().clone();
                    let forms = f.items.borrow().clone();
                    self.match_sequence(&items, &Value::Nil, &forms, &Value::Nil, b)
                }
                _ => false,
            },
            other => crate::value::equal(other, form).unwrap_or(false),
        }
    }

    /// Matches pattern elements (one may be followed by the ellipsis) and tail against forms.
    fn match_sequence(&self, items: &[Value], tail: &Value, forms: &[Value], form_tail: &Value, b: &mut Bindings) -> bool {
        let dots = items.iter().position(|i| self.is_ellipsis(i));
        match dots {
            None => {
                if forms.len() < items.len() {
                    return false;
                }
                for (p, f) in items.iter().zip(forms) {
                    if !self.matches(p, f, b) {
                        return false;
                    }
                }
                let rest = list_with_tail(forms[items.len()..].to_vec(), form_tail.clone());
                if matches!(tail, Value::Nil) {
                    forms.len() == items.len() && matches!(form_tail, Value::Nil)
                } else {
                    self.matches(tail, &rest, b)
                }
            }
            Some(d) => {
                if d == 0 {
                    return false;
                }
                let before = &items[..d - 1];
                let repeated = &items[d - 1];
                let after = &items[d + 1..];
                if forms.len() < before.len() + after.len() {
                    return false;
                }
                // With a dotted tail pattern the repeated part takes what the after part leaves.
                let n = forms.len() - before.len() - after.len();
                for (p, f) in before.iter().zip(forms) {
                    if !self.matches(p, f, b) {
                        return false;
                    }
                }
                let mut seq = Vec::with_capacity(n);
                for f in &forms[before.len()..before.len() + n] {
                    let mut one = Bindings::new();
                    if !self.matches(repeated, f, &mut one) {
                        return false;
                    }
                    seq.push(one);
                }
                for var in self.pattern_vars(repeated) {
                    let items = seq.iter_mut().map(|one| one.remove(&var).unwrap_or(Binding::Many(Vec::new()))).collect();
                    b.insert(var, Binding::Many(items));
                }
                let rest_forms = &forms[before.len() + n..];
                for (p, f) in after.iter().zip(rest_forms) {
                    if !self.matches(p, f, b) {
                        return false;
                    }
                }
                if matches!(tail, Value::Nil) {
                    matches!(form_tail, Value::Nil)
                } else {
                    self.matches(tail, form_tail, b)
                }
            }
        }
    }

    /// The pattern variables in a pattern (as symbol addresses).
    fn pattern_vars(&self, pattern: &Value) -> Vec<usize> {
        let mut out = Vec::new();
        let mut work = vec![pattern.clone()];
        while let Some(p) = work.pop() {
            match p {
                Value::Sym(s) => {
                    if !self.is_literal(&s) && !self.is_ellipsis(&Value::Sym(s.clone())) && s.base().name() != "_" {
                        out.push(s.ptr());
                    }
                }
                Value::Pair(pair) => {
                    work.push(pair.car());
                    work.push(pair.cdr());
                }
                Value::Vector(v) => work.extend(v.items.borrow().iter().cloned()),
                _ => {}
            }
        }
        out
    }

    fn fill(&self, template: &Value, b: &Bindings, renames: &mut HashMap<usize, Symbol>) -> R<Value> {
        if crate::value::stack_exhausted() {
            return fail("syntax-rules: template nested too deeply");
        }
        match template {
            Value::Sym(s) => Ok(match b.get(&s.ptr()) {
                Some(Binding::One(v)) => v.clone(),
                Some(Binding::Many(_)) => return fail(format!("syntax-rules: {} is missing its ellipsis in the template", s.name())),
                None => Value::Sym(renames.entry(s.ptr()).or_insert_with(|| Symbol::alias(s, self.scopes)).clone()),
            }),
            Value::Pair(p) => {
                // (... ...) is a literal ellipsis; (... template) escapes ellipses inside.
                if self.is_ellipsis(&p.car()) {
                    if let Value::Pair(rest) = p.cdr() {
                        let inner = Macro { literals: self.literals.clone(), ellipsis: String::new(), rules: Vec::new(), scopes: self.scopes };
                        return inner.fill(&rest.car(), b, renames);
                    }
                }
                let (items, tail) = spine(template)?;
                let filled = self.fill_sequence(&items, b, renames)?;
                let tail = if matches!(tail, Value::Nil) { Value::Nil } else { self.fill(&tail, b, renames)? };
                Ok(list_with_tail(filled, tail))
            }
            Value::Vector(v) => {
                let items = v.items.borrow().clone();
                Ok(Vector::new(self.fill_sequence(&items, b, renames)?))
            }
            other => Ok(other.clone()),
        }
    }

    fn fill_sequence(&self, items: &[Value], b: &Bindings, renames: &mut HashMap<usize, Symbol>) -> R<Vec<Value>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            let mut depth = 0;
            while items.get(i + 1 + depth).map_or(false, |x| self.is_ellipsis(x)) {
                depth += 1;
            }
            if depth == 0 {
                out.push(self.fill(item, b, renames)?);
            } else {
                let mut results = vec![];
                self.fill_repeated(item, depth, b, renames, &mut results)?;
                out.extend(results);
            }
            i += 1 + depth;
        }
        Ok(out)
    }

    /// `item` followed by `depth` ellipses: one copy per element of its sequence variables.
    fn fill_repeated(&self, item: &Value, depth: usize, b: &Bindings, renames: &mut HashMap<usize, Symbol>, out: &mut Vec<Value>) -> R<()> {
        let vars: Vec<usize> = self.pattern_vars(item).into_iter().filter(|v| matches!(b.get(v), Some(Binding::Many(_)))).collect();
        if vars.is_empty() {
            return fail(format!("syntax-rules: no pattern variable with an ellipsis in {}", write_short(item)));
        }
        let len = vars.iter().map(|v| match b.get(v) {
            Some(Binding::Many(items)) => items.len(),
            _ => 0,
        });
        let n = len.max().unwrap_or(0);
        for k in 0..n {
            let mut inner = Bindings::new();
            for (var, binding) in b {
                if !vars.contains(var) {
                    inner.insert(*var, clone_binding(binding));
                }
            }
            for var in &vars {
                if let Some(Binding::Many(items)) = b.get(var) {
                    if let Some(one) = items.get(k) {
                        inner.insert(*var, clone_binding(one));
                    }
                }
            }
            if depth > 1 {
                self.fill_repeated(item, depth - 1, &inner, renames, out)?;
            } else {
                out.push(self.fill(item, &inner, renames)?);
            }
        }
        Ok(())
    }
}

fn clone_binding(b: &Binding) -> Binding {
    match b {
        Binding::One(v) => Binding::One(v.clone()),
        Binding::Many(items) => Binding::Many(items.iter().map(clone_binding).collect()),
    }
}

/// The elements of a possibly improper list, and its tail; a circular list (which a macro
/// cannot take apart or rebuild) is an error.
fn spine(v: &Value) -> R<(Vec<Value>, Value)> {
    if is_circular(v) {
        return fail(format!("syntax-rules: circular list {}", write_short(v)));
    }
    let mut items = Vec::new();
    let mut cur = v.clone();
    while let Value::Pair(p) = cur {
        items.push(p.car());
        cur = p.cdr();
    }
    Ok((items, cur))
}

/// `datum` with every alias replaced by its plain symbol (what `quote` of macro output gives).
/// Shared and circular parts of the datum stay shared and circular (`'#0=(a . #0#)`).
pub fn strip(datum: &Value) -> Value {
    if !has_alias(datum, 0, &mut HashSet::new()) {
        return datum.clone();
    }
    Stripper { copies: HashMap::new() }.strip(datum, 0)
}

const MAX_STRIP_DEPTH: usize = 300;

/// Whether `v` holds an alias; `seen` holds the pairs and vectors already looked at.
fn has_alias(v: &Value, depth: usize, seen: &mut HashSet<usize>) -> bool {
    if depth > MAX_STRIP_DEPTH || crate::value::stack_exhausted() {
        return false;
    }
    match v {
        Value::Sym(s) => s.as_alias().is_some(),
        Value::Pair(_) => {
            let mut cur = v.clone();
            while let Value::Pair(p) = cur {
                if !seen.insert(Rc::as_ptr(&p) as usize) {
                    return false;
                }
                if has_alias(p.car_ref(), depth + 1, seen) {
                    return true;
                }
                cur = p.cdr();
            }
            has_alias(&cur, depth + 1, seen)
        }
        Value::Vector(vec) => {
            seen.insert(Rc::as_ptr(vec) as usize) && vec.items.borrow().iter().any(|i| has_alias(i, depth + 1, seen))
        }
        _ => false,
    }
}

/// Copies a datum without its aliases.
struct Stripper {
    /// The copy of each pair and vector copied so far, by the original's address: a cycle back
    /// into the datum finds its copy.
    copies: HashMap<usize, Value>,
}

impl Stripper {
    fn strip(&mut self, v: &Value, depth: usize) -> Value {
        match v {
            Value::Sym(s) if s.as_alias().is_some() => Value::Sym(s.base()),
            Value::Pair(_) if depth < MAX_STRIP_DEPTH && !crate::value::stack_exhausted() => {
                // The spine's copies exist (and are known) before the elements are copied.
                let mut originals = Vec::new();
                let mut copies = Vec::new();
                let mut cur = v.clone();
                let tail = loop {
                    match cur {
                        Value::Pair(p) => {
                            let key = Rc::as_ptr(&p) as usize;
                            if let Some(copy) = self.copies.get(&key) {
                                break copy.clone();
                            }
                            let copy = cons(Value::Nil, Value::Nil);
                            self.copies.insert(key, copy.clone());
                            copies.push(copy);
                            cur = p.cdr();
                            originals.push(p);
                        }
                        other => break self.strip(&other, depth + 1),
                    }
                };
                let mut next = tail;
                for (original, copy) in originals.iter().zip(&copies).rev() {
                    if let Value::Pair(c) = copy {
                        c.set_cdr(next);
                        c.set_car(self.strip(&original.car(), depth + 1));
                    }
                    next = copy.clone();
                }
                next
            }
            Value::Vector(vec) if depth < MAX_STRIP_DEPTH => {
                let key = Rc::as_ptr(vec) as usize;
                if let Some(copy) = self.copies.get(&key) {
                    return copy.clone();
                }
                let copy = Vector::new(Vec::new());
                self.copies.insert(key, copy.clone());
                let items: Vec<Value> = vec.items.borrow().iter().map(|i| self.strip(i, depth + 1)).collect();
                if let Value::Vector(c) = &copy {
                    *c.items.borrow_mut() = items;
                }
                copy
            }
            other => other.clone(),
        }
    }
}
