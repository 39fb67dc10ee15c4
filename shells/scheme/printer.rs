//! `write` and `display` representations. Lists are walked along the cdr in a loop; nesting in
//! the car recurses only to [`MAX_NESTING`], and output stops after [`MAX_CHARS`] (a circular
//! list ends there instead of exhausting memory).

use crate::value::{Value, Symbol};

const MAX_NESTING: usize = 200;
pub const MAX_CHARS: usize = 1_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Display,
}

pub fn write_string(v: &Value) -> String {
    to_string(v, Mode::Write)
}

pub fn display_string(v: &Value) -> String {
    to_string(v, Mode::Display)
}

pub fn to_string(v: &Value, mode: Mode) -> String {
    let mut p = Printer { out: String::new(), mode, limit: MAX_CHARS };
    p.print(v, 0);
    p.out
}

/// A written form cut to a length fit for an error message.
pub fn write_short(v: &Value) -> String {
    let mut p = Printer { out: String::new(), mode: Mode::Write, limit: 200 };
    p.print(v, 0);
    p.out
}

struct Printer {
    out: String,
    mode: Mode,
    limit: usize,
}

impl Printer {
    /// False once the output is full; callers stop then.
    fn room(&mut self) -> bool {
        if self.out.len() > self.limit {
            if !self.out.ends_with("...") {
                self.out.push_str(" ...");
            }
            false
        } else {
            true
        }
    }

    fn print(&mut self, v: &Value, depth: usize) {
        if !self.room() {
            return;
        }
        match v {
            Value::Nil => self.out.push_str("()"),
            Value::Unspecified => self.out.push_str("#<unspecified>"),
            Value::Unassigned => self.out.push_str("#<unassigned>"),
            Value::Bool(true) => self.out.push_str("#t"),
            Value::Bool(false) => self.out.push_str("#f"),
            Value::Int(i) => self.out.push_str(&i.to_string()),
            Value::Real(r) => self.out.push_str(&format_real(*r)),
            Value::Char(c) => match self.mode {
                Mode::Display => self.out.push(*c),
                Mode::Write => self.out.push_str(&write_char(*c)),
            },
            Value::Str(s) => match self.mode {
                Mode::Display => self.out.push_str(&s.text),
                Mode::Write => write_string_literal(&mut self.out, &s.text),
            },
            Value::Sym(s) => match self.mode {
                Mode::Display => self.out.push_str(s.name()),
                Mode::Write => self.out.push_str(&write_symbol(s)),
            },
            Value::Pair(_) => self.print_list(v, depth),
            Value::Vector(vec) => {
                if depth >= MAX_NESTING {
                    self.out.push_str("#(...)");
                    return;
                }
                let items = vec.items.borrow().clone();
                self.out.push_str("#(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.print(item, depth + 1);
                    if !self.room() {
                        return;
                    }
                }
                self.out.push(')');
            }
            Value::Prim(p) => {
                self.out.push_str("#<procedure ");
                self.out.push_str(p.name);
                self.out.push('>');
            }
            Value::Closure(c) => match &c.info.name {
                Some(name) => {
                    self.out.push_str("#<procedure ");
                    self.out.push_str(name.name());
                    self.out.push('>');
                }
                None => self.out.push_str("#<procedure>"),
            },
            Value::FrameLambda(info) => {
                self.out.push_str("#<procedure ");
                self.out.push_str(info.name.as_ref().map_or("", |n| n.name()));
                self.out.push('>');
            }
            Value::Hash(h) => {
                let n = h.map.borrow().len();
                self.out.push_str(&format!("#<hash-table {}>", n));
            }
            Value::Error(e) => {
                self.out.push_str("#<error ");
                write_string_literal(&mut self.out, &e.message);
                for irritant in &e.irritants {
                    self.out.push(' ');
                    self.print(irritant, depth + 1);
                }
                self.out.push('>');
            }
        }
    }

    fn print_list(&mut self, list: &Value, depth: usize) {
        if depth >= MAX_NESTING {
            self.out.push_str("(...)");
            return;
        }
        // 'x, `x, ,x and ,@x print in their short forms.
        if let Value::Pair(p) = list {
            if let (Value::Sym(s), Value::Pair(rest)) = (p.car(), p.cdr()) {
                if let Value::Nil = rest.cdr() {
                    let prefix = match s.name() {
                        "quote" => Some("'"),
                        "quasiquote" => Some("`"),
                        "unquote" => Some(","),
                        "unquote-splicing" => Some(",@"),
                        _ => None,
                    };
                    if let Some(prefix) = prefix {
                        self.out.push_str(prefix);
                        self.print(&rest.car(), depth + 1);
                        return;
                    }
                }
            }
        }
        self.out.push('(');
        let mut cur = list.clone();
        let mut first = true;
        loop {
            match cur {
                Value::Pair(p) => {
                    if !first {
                        self.out.push(' ');
                    }
                    first = false;
                    self.print(&p.car(), depth + 1);
                    if !self.room() {
                        return;
                    }
                    cur = p.cdr();
                }
                Value::Nil => break,
                other => {
                    self.out.push_str(" . ");
                    self.print(&other, depth + 1);
                    break;
                }
            }
        }
        self.out.push(')');
    }
}

/// Reals always show a decimal point or exponent, so they read back as reals.
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        "+nan.0".to_string()
    } else if r.is_infinite() {
        if r > 0.0 { "+inf.0".to_string() } else { "-inf.0".to_string() }
    } else {
        // Debug formatting gives the shortest round-trip form: 1.0, 0.1, 1e21, 1.5e-7.
        format!("{:?}", r)
    }
}

pub fn write_char(c: char) -> String {
    match c {
        ' ' => "#\\space".to_string(),
        '\n' => "#\\newline".to_string(),
        '\t' => "#\\tab".to_string(),
        '\r' => "#\\return".to_string(),
        '\0' => "#\\null".to_string(),
        '\u{7f}' => "#\\delete".to_string(),
        '\u{1b}' => "#\\escape".to_string(),
        '\u{7}' => "#\\alarm".to_string(),
        '\u{8}' => "#\\backspace".to_string(),
        c if c.is_control() => format!("#\\x{:x}", c as u32),
        c => format!("#\\{}", c),
    }
}

pub fn write_string_literal(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:x};", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Symbols that would not read back as themselves are written between bars.
fn write_symbol(s: &Symbol) -> String {
    let name = s.name();
    let plain = !name.is_empty()
        && !name.chars().any(|c| c.is_whitespace() || "()[]\"';`,|".contains(c))
        && !name.starts_with('#')
        && name != "."
        && !crate::reader::looks_numeric(name);
    if plain {
        name.to_string()
    } else {
        let mut out = String::from("|");
        for c in name.chars() {
            match c {
                '|' => out.push_str("\\|"),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('|');
        out
    }
}
