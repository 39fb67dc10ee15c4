//! `write` and `display` representations. Lists are walked along the cdr in a loop; nesting in
//! the car recurses only to [`MAX_NESTING`], and output stops after [`MAX_CHARS`]. Circular
//! structures print with datum labels (`#0=(1 . #0#)`): a first pass marks the pairs and
//! vectors that are reached again while being printed ([`find_labels`]).

use std::collections::{HashMap, HashSet};

use crate::value::{identity, Symbol, Value};

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

/// `write-shared`: labels for every pair or vector met twice, not only for cycles.
pub fn write_string_shared(v: &Value) -> String {
    let mut p = Printer::new(Mode::Write, MAX_CHARS, find_labels(v, true));
    p.print(v, 0);
    p.out
}

pub fn to_string(v: &Value, mode: Mode) -> String {
    let mut p = Printer::new(mode, MAX_CHARS, find_labels(v, false));
    p.print(v, 0);
    p.out
}

/// A written form cut to a length fit for an error message.
pub fn write_short(v: &Value) -> String {
    let mut p = Printer::new(Mode::Write, 200, find_labels(v, false));
    p.print(v, 0);
    p.out
}

/// Containers the label pass visits at most (its sets stay a few MiB); a cycle beyond them
/// prints unlabelled, cut at [`MAX_CHARS`].
const MAX_LABEL_WALK: usize = 100_000;

/// The pairs and vectors of `root` that need a label: those reached again while inside
/// themselves (a cycle), or with `shared` every one reached twice.
fn find_labels(root: &Value, shared: bool) -> HashMap<usize, Option<usize>> {
    let mut labels = HashMap::new();
    if !matches!(root, Value::Pair(_) | Value::Vector(_)) || is_flat(root) {
        return labels;
    }
    let mut seen = HashSet::new();
    let mut open = HashSet::new();
    // (value, leaving): leaving marks the end of a container's children.
    let mut stack = vec![(root.clone(), false)];
    while let Some((v, leaving)) = stack.pop() {
        let id = match (&v, identity(&v)) {
            (Value::Pair(_) | Value::Vector(_), Some(id)) => id,
            _ => continue,
        };
        if leaving {
            open.remove(&id);
            continue;
        }
        if open.contains(&id) || (shared && seen.contains(&id)) {
            labels.insert(id, None);
            continue;
        }
        if seen.len() == seen.capacity() {
            // Labels are a nicety: without room for the walk, print without them.
            let more = seen.capacity().max(1024);
            if crate::value::reserve_n(2 * more, 3 * std::mem::size_of::<usize>()).is_err() || seen.try_reserve(more).is_err() {
                return HashMap::new();
            }
        }
        if seen.len() >= MAX_LABEL_WALK || !seen.insert(id) {
            continue;
        }
        if stack.capacity() - stack.len() < 2 && !room_for(&mut stack) {
            return HashMap::new();
        }
        open.insert(id);
        stack.push((v.clone(), true));
        match &v {
            Value::Pair(p) => {
                stack.push((p.cdr(), false));
                stack.push((p.car(), false));
            }
            Value::Vector(vec) => {
                let items = vec.items.borrow();
                if stack.capacity() - stack.len() < items.len() + 1 && !room_for(&mut stack) {
                    return HashMap::new();
                }
                for item in items.iter().rev() {
                    stack.push((item.clone(), false));
                }
            }
            _ => {}
        }
    }
    labels
}

/// Grows a work list if memory allows (labels are a nicety: without room, none are printed).
fn room_for<T>(v: &mut Vec<T>) -> bool {
    let more = v.capacity().max(1024);
    crate::value::reserve_n(2 * more, std::mem::size_of::<T>()).is_ok() && v.try_reserve(more).is_ok()
}

/// A proper list or vector of atoms: nothing to label, skip the walk.
fn is_flat(v: &Value) -> bool {
    let atom = |x: &Value| !matches!(x, Value::Pair(_) | Value::Vector(_));
    match v {
        Value::Vector(vec) => vec.items.borrow().iter().all(atom),
        Value::Pair(_) => {
            if crate::value::list_length(v).is_none() {
                return false;
            }
            let mut cur = v;
            while let Value::Pair(p) = cur {
                if !atom(p.car_ref()) {
                    return false;
                }
                cur = p.cdr_ref();
            }
            true
        }
        _ => true,
    }
}

struct Printer {
    out: String,
    mode: Mode,
    limit: usize,
    labels: HashMap<usize, Option<usize>>,
    next_label: usize,
}

impl Printer {
    fn new(mode: Mode, limit: usize, labels: HashMap<usize, Option<usize>>) -> Printer {
        Printer { out: String::new(), mode, limit, labels, next_label: 0 }
    }

    /// For a labelled container: writes `#n#` and returns true if it was printed already,
    /// or writes `#n=` before its first printing.
    fn label(&mut self, v: &Value) -> bool {
        let id = match identity(v) {
            Some(id) if !self.labels.is_empty() => id,
            _ => return false,
        };
        match self.labels.get_mut(&id) {
            Some(Some(n)) => {
                let n = *n;
                self.out.push_str(&format!("#{}#", n));
                true
            }
            Some(slot) => {
                *slot = Some(self.next_label);
                self.out.push_str(&format!("#{}=", self.next_label));
                self.next_label += 1;
                false
            }
            None => false,
        }
    }

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
        if matches!(v, Value::Pair(_) | Value::Vector(_)) && self.label(v) {
            return;
        }
        match v {
            Value::Nil => self.out.push_str("()"),
            Value::Eof => self.out.push_str("#<eof>"),
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
                Mode::Display => self.out.push_str(&s.borrow()),
                Mode::Write => write_string_literal(&mut self.out, &s.borrow()),
            },
            Value::Sym(s) => match self.mode {
                Mode::Display => self.out.push_str(s.name()),
                Mode::Write => self.out.push_str(&write_symbol(s)),
            },
            Value::Pair(_) => self.print_list(v, depth),
            Value::Vector(vec) => {
                if depth >= MAX_NESTING || crate::value::stack_exhausted() {
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
            Value::Values(vs) => {
                self.out.push_str("#<values");
                for item in &vs.0 {
                    self.out.push(' ');
                    self.print(item, depth + 1);
                }
                self.out.push('>');
            }
            Value::Port(_) => self.out.push_str("#<port>"),
            Value::Record(r) => {
                self.out.push_str("#<");
                self.out.push_str(&r.rtype.name);
                let fields = r.fields.borrow().clone();
                for (name, item) in r.rtype.fields.iter().zip(fields.iter()) {
                    self.out.push(' ');
                    self.out.push_str(name.name());
                    self.out.push_str(": ");
                    self.print(item, depth + 1);
                }
                self.out.push('>');
            }
            Value::RecordType(t) => {
                self.out.push_str("#<record-type ");
                self.out.push_str(&t.name);
                self.out.push('>');
            }
            Value::Bytevector(b) => {
                self.out.push_str("#u8(");
                let bytes = b.bytes.borrow();
                for (i, x) in bytes.iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.out.push_str(&x.to_string());
                    if self.out.len() > self.limit {
                        break;
                    }
                }
                self.out.push(')');
            }
            Value::Promise(_) => self.out.push_str("#<promise>"),
            Value::Param(_) => self.out.push_str("#<parameter>"),
            Value::Cont(_) => self.out.push_str("#<continuation>"),
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
        if depth >= MAX_NESTING || crate::value::stack_exhausted() {
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
                    if self.labels.contains_key(&identity(&cur).unwrap_or(0)) {
                        if let Value::Pair(_) = cur {
                            self.out.push_str(" . ");
                            self.print(&cur, depth + 1);
                            break;
                        }
                    }
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
        // Debug formatting gives the shortest round-trip form (1.0, 0.1, 1e21, 1.5e-7); the
        // exponent form gets a decimal point and a sign: 1.0e+21, 1.5e-7.
        let text = format!("{:?}", r);
        match text.find('e') {
            Some(at) => {
                let (mantissa, exponent) = text.split_at(at);
                let point = if mantissa.contains('.') { "" } else { ".0" };
                let sign = if exponent[1..].starts_with('-') { "" } else { "+" };
                format!("{}{}e{}{}", mantissa, point, sign, &exponent[1..])
            }
            None => text,
        }
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
    let lower = name.to_ascii_lowercase();
    let plain = !name.is_empty()
        && !name.chars().any(|c| c.is_whitespace() || "()[]\"';`,|\\".contains(c))
        && !name.starts_with('#')
        && name != "."
        && !crate::reader::looks_numeric(name)
        && !(lower.starts_with("+inf.0") || lower.starts_with("-inf.0") || lower.starts_with("+nan.0") || lower.starts_with("-nan.0"))
        && lower != "+i"
        && lower != "-i";
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
