//! The reader: text to data. It distinguishes an incomplete datum (the REPL waits for more
//! lines) from a malformed one (the REPL reports it and drops the pending input). Datum labels
//! (`#0=(a . #0#)`) and the `#!fold-case` directive are understood.

use std::collections::HashMap;

use crate::value::{cons, list_with_tail, Value, Vector};

/// Deepest nesting of lists, vectors and quotes in one datum; the compiler and printer recurse
/// on nesting, and the native stack is small.
pub const MAX_NESTING: usize = 256;

pub enum Read {
    /// A datum and the offset just after it.
    Datum(Value, usize),
    /// Only whitespace and comments remain.
    Nothing,
    /// The text ends inside a datum.
    Incomplete,
    Error(String),
}

enum Fault {
    Incomplete,
    Bad(String),
}

type Res<T> = Result<T, Fault>;

fn bad<T>(message: impl Into<String>) -> Res<T> {
    Err(Fault::Bad(message.into()))
}

/// Reads the datum starting at `pos` in `text`.
pub fn read(text: &str, pos: usize) -> Read {
    let mut r = Reader { text, pos, depth: 0, fold_case: false, labels: HashMap::new() };
    match r.skip_atmosphere() {
        Ok(()) => {}
        Err(Fault::Incomplete) => return Read::Incomplete,
        Err(Fault::Bad(m)) => return Read::Error(m),
    }
    if r.at_end() {
        return Read::Nothing;
    }
    match r.datum() {
        Ok(v) => Read::Datum(v, r.pos),
        Err(Fault::Incomplete) => Read::Incomplete,
        Err(Fault::Bad(m)) => Read::Error(m),
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    /// After `#!fold-case`: symbols and character names are read in lower case.
    fold_case: bool,
    /// Datum labels seen so far (`#n=`), each with what it labels.
    labels: HashMap<u64, Value>,
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || "()[]\";".contains(c)
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.text.get(self.pos..)?.chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skips whitespace and comments: `; line`, `#| block |#` (nested) and `#;` datum.
    fn skip_atmosphere(&mut self) -> Res<()> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some(';') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                Some('#') if self.peek2() == Some('|') => {
                    self.pos += 2;
                    let mut level = 1;
                    while level > 0 {
                        match self.bump() {
                            None => return Err(Fault::Incomplete),
                            Some('|') if self.peek() == Some('#') => {
                                self.bump();
                                level -= 1;
                            }
                            Some('#') if self.peek() == Some('|') => {
                                self.bump();
                                level += 1;
                            }
                            Some(_) => {}
                        }
                    }
                }
                Some('#') if self.peek2() == Some('!') => {
                    self.pos += 2;
                    match self.token() {
                        "fold-case" => self.fold_case = true,
                        "no-fold-case" => self.fold_case = false,
                        other => return bad(format!("unknown directive #!{}", other)),
                    }
                }
                Some('#') if self.peek2() == Some(';') => {
                    self.pos += 2;
                    self.skip_atmosphere()?;
                    if self.at_end() {
                        return Err(Fault::Incomplete);
                    }
                    self.datum()?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn datum(&mut self) -> Res<Value> {
        self.depth += 1;
        if self.depth > MAX_NESTING || crate::value::stack_exhausted() {
            return bad(format!("nesting deeper than {} levels", MAX_NESTING));
        }
        let v = self.datum_inner();
        self.depth -= 1;
        v
    }

    fn datum_inner(&mut self) -> Res<Value> {
        self.skip_atmosphere()?;
        let c = match self.peek() {
            Some(c) => c,
            None => return Err(Fault::Incomplete),
        };
        match c {
            '(' | '[' => {
                self.bump();
                self.list(if c == '(' { ')' } else { ']' })
            }
            ')' | ']' => {
                self.bump();
                bad(format!("unexpected '{}'", c))
            }
            '\'' => self.abbreviation("quote", 1),
            '`' => self.abbreviation("quasiquote", 1),
            ',' => {
                if self.peek2() == Some('@') {
                    self.abbreviation("unquote-splicing", 2)
                } else {
                    self.abbreviation("unquote", 1)
                }
            }
            '"' => {
                self.bump();
                self.string()
            }
            '|' => {
                self.bump();
                self.bar_symbol()
            }
            '#' => self.hash_syntax(),
            _ => {
                let token = self.token();
                if token == "." {
                    return bad("unexpected '.'");
                }
                if self.fold_case {
                    return atom(&token.to_lowercase());
                }
                atom(token)
            }
        }
    }

    fn abbreviation(&mut self, name: &str, len: usize) -> Res<Value> {
        self.pos += len;
        let v = self.datum()?;
        Ok(cons(Value::sym(name), cons(v, Value::Nil)))
    }

    /// A run of non-delimiter characters.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn list(&mut self, close: char) -> Res<Value> {
        let mut items = Vec::new();
        loop {
            self.skip_atmosphere()?;
            match self.peek() {
                None => return Err(Fault::Incomplete),
                Some(c) if c == close => {
                    self.bump();
                    return Ok(list_with_tail(items, Value::Nil));
                }
                Some(c @ (')' | ']')) => return bad(format!("expected '{}' but found '{}'", close, c)),
                Some('.') if self.peek2().map_or(true, is_delimiter) => {
                    self.bump();
                    if items.is_empty() {
                        return bad("'.' with nothing before it");
                    }
                    let tail = self.datum()?;
                    self.skip_atmosphere()?;
                    return match self.peek() {
                        None => Err(Fault::Incomplete),
                        Some(c) if c == close => {
                            self.bump();
                            Ok(list_with_tail(items, tail))
                        }
                        Some(_) => bad("more than one datum after '.'"),
                    };
                }
                Some(_) => items.push(self.datum()?),
            }
        }
    }

    fn string(&mut self) -> Res<Value> {
        let mut s = String::new();
        loop {
            let c = match self.bump() {
                Some(c) => c,
                None => return Err(Fault::Incomplete),
            };
            match c {
                '"' => return Ok(Value::str(s)),
                '\\' => {
                    let e = match self.bump() {
                        Some(e) => e,
                        None => return Err(Fault::Incomplete),
                    };
                    match e {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'a' => s.push('\u{7}'),
                        'b' => s.push('\u{8}'),
                        '0' => s.push('\0'),
                        '\\' => s.push('\\'),
                        '"' => s.push('"'),
                        '|' => s.push('|'),
                        'x' | 'X' => s.push(self.hex_escape()?),
                        '\n' | ' ' | '\t' => {
                            // A line continuation: skip the rest of this line's blanks, the
                            // newline and the next line's indentation.
                            let mut seen_newline = e == '\n';
                            while let Some(c) = self.peek() {
                                if c == '\n' && !seen_newline {
                                    seen_newline = true;
                                } else if !(c == ' ' || c == '\t') {
                                    break;
                                }
                                self.bump();
                            }
                        }
                        other => return bad(format!("unknown string escape \\{}", other)),
                    }
                }
                c => s.push(c),
            }
        }
    }

    /// `\x41;` inside a string.
    fn hex_escape(&mut self) -> Res<char> {
        let mut digits = String::new();
        loop {
            match self.bump() {
                None => return Err(Fault::Incomplete),
                Some(';') => break,
                Some(c) if c.is_ascii_hexdigit() && digits.len() < 8 => digits.push(c),
                Some(_) => return bad("bad \\x escape in string (expected hex digits and ';')"),
            }
        }
        u32::from_str_radix(&digits, 16)
            .ok()
            .and_then(char::from_u32)
            .map_or_else(|| bad(format!("bad character code \\x{};", digits)), Ok)
    }

    fn bar_symbol(&mut self) -> Res<Value> {
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(Fault::Incomplete),
                Some('|') => return Ok(Value::sym(&s)),
                Some('\\') => match self.bump() {
                    None => return Err(Fault::Incomplete),
                    Some('x' | 'X') => s.push(self.hex_escape()?),
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some(c) => s.push(c),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn hash_syntax(&mut self) -> Res<Value> {
        self.bump(); // '#'
        match self.peek() {
            None => Err(Fault::Incomplete),
            Some('(') => {
                self.bump();
                let list = self.list(')')?;
                let items = crate::value::list_to_vec("vector", &list).map_err(|_| Fault::Bad("bad vector syntax".into()))?;
                Ok(Vector::new(items))
            }
            Some('\\') => {
                self.bump();
                self.character()
            }
            Some(c) if c.is_ascii_digit() => self.label(),
            Some('u' | 'U') if self.text[self.pos..].get(..3).map_or(false, |t| t.eq_ignore_ascii_case("u8(")) => {
                self.pos += 3;
                let list = self.list(')')?;
                let items = crate::value::list_to_vec("bytevector", &list).map_err(|_| Fault::Bad("bad bytevector syntax".into()))?;
                let mut bytes = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::Int(i) if (0..256).contains(&i) => bytes.push(i as u8),
                        _ => return bad("a bytevector holds integers from 0 to 255"),
                    }
                }
                Ok(crate::bytevectors::Bytevector::new(bytes))
            }
            Some(_) => {
                let token = self.token();
                match token {
                    "t" | "true" => Ok(Value::Bool(true)),
                    "f" | "false" => Ok(Value::Bool(false)),
                    _ => {
                        if !matches!(token.chars().next(), Some('x' | 'X' | 'b' | 'B' | 'o' | 'O' | 'd' | 'D' | 'e' | 'E' | 'i' | 'I')) {
                            return bad(format!("unknown syntax #{}", token));
                        }
                        match parse_prefixed(&format!("#{}", token), 10) {
                            Some(Ok(v)) => Ok(v),
                            Some(Err(m)) => bad(m),
                            None => bad(format!("bad number #{}", token)),
                        }
                    }
                }
            }
        }
    }

    /// `#n=datum` (labels the datum) or `#n#` (the datum labelled n).
    fn label(&mut self) -> Res<Value> {
        let start = self.pos;
        while self.peek().map_or(false, |c| c.is_ascii_digit()) {
            self.bump();
        }
        let n: u64 = self.text[start..self.pos].parse().map_err(|_| Fault::Bad("datum label too large".into()))?;
        match self.bump() {
            Some('#') => match self.labels.get(&n) {
                Some(v) => Ok(v.clone()),
                None => bad(format!("undefined datum label #{}#", n)),
            },
            Some('=') => {
                // A placeholder stands for the datum while it is read, then is replaced.
                let placeholder = cons(Value::Unassigned, Value::Nil);
                self.labels.insert(n, placeholder.clone());
                let datum = self.datum()?;
                self.labels.insert(n, datum.clone());
                replace_placeholder(&datum, &placeholder, &datum);
                Ok(datum)
            }
            None => Err(Fault::Incomplete),
            Some(c) => bad(format!("bad datum label #{}{}", n, c)),
        }
    }

    fn character(&mut self) -> Res<Value> {
        let first = match self.bump() {
            Some(c) => c,
            None => return Err(Fault::Incomplete),
        };
        // The name continues up to a delimiter: #\space, #\x41; a lone #\( is the paren.
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.bump();
        }
        let rest = &self.text[start..self.pos];
        if rest.is_empty() {
            return Ok(Value::Char(first));
        }
        let name = format!("{}{}", first, rest);
        let c = match name.to_ascii_lowercase().as_str() {
            "space" => ' ',
            "newline" | "linefeed" | "nl" => '\n',
            "tab" => '\t',
            "return" => '\r',
            "null" | "nul" => '\0',
            "delete" | "del" | "rubout" => '\u{7f}',
            "escape" | "esc" | "altmode" => '\u{1b}',
            "alarm" => '\u{7}',
            "backspace" => '\u{8}',
            _ => {
                let code = if first == 'x' || first == 'U' || first == 'u' { u32::from_str_radix(rest, 16).ok() } else { None };
                match code.and_then(char::from_u32) {
                    Some(c) => c,
                    None => return bad(format!("unknown character #\\{}", name)),
                }
            }
        };
        Ok(Value::Char(c))
    }
}

/// Replaces every reference to `placeholder` inside `datum` (pairs and vectors) by `value`.
fn replace_placeholder(datum: &Value, placeholder: &Value, value: &Value) {
    let same = |v: &Value| crate::value::eqv(v, placeholder);
    let mut seen = std::collections::HashSet::new();
    let mut work = vec![datum.clone()];
    while let Some(v) = work.pop() {
        if !seen.insert(crate::value::identity(&v).unwrap_or(0)) {
            continue;
        }
        match &v {
            Value::Pair(p) => {
                if same(p.car_ref()) {
                    p.set_car(value.clone());
                } else {
                    work.push(p.car());
                }
                if same(p.cdr_ref()) {
                    p.set_cdr(value.clone());
                } else {
                    work.push(p.cdr());
                }
            }
            Value::Vector(vec) => {
                let mut items = vec.items.borrow_mut();
                for item in items.iter_mut() {
                    if same(item) {
                        *item = value.clone();
                    } else if matches!(item, Value::Pair(_) | Value::Vector(_)) {
                        work.push(item.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

/// A token that is not special syntax: a number or a symbol.
fn atom(token: &str) -> Res<Value> {
    match parse_number(token, 10) {
        Some(Ok(v)) => Ok(v),
        Some(Err(m)) => bad(m),
        None if looks_numeric(token) => bad(format!("bad number: {}", token)),
        None => Ok(Value::sym(token)),
    }
}

/// Starts like a number (a digit, or a sign or dot before a digit): not a valid symbol.
pub fn looks_numeric(token: &str) -> bool {
    let mut chars = token.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('+' | '-') => match chars.next() {
            Some(c) if c.is_ascii_digit() => true,
            Some('.') => matches!(chars.next(), Some(c) if c.is_ascii_digit()),
            _ => false,
        },
        Some('.') => matches!(chars.next(), Some(c) if c.is_ascii_digit()),
        _ => false,
    }
}

/// Parses a number with optional prefixes: radix (#x #b #o #d) and exactness (#e #i).
pub fn parse_prefixed(text: &str, radix: u32) -> Option<Result<Value, String>> {
    let (mut text, mut radix, mut exactness) = (text, radix, None);
    while text.len() >= 2 && text.starts_with('#') {
        match text.as_bytes()[1].to_ascii_lowercase() {
            b'x' => radix = 16,
            b'b' => radix = 2,
            b'o' => radix = 8,
            b'd' => radix = 10,
            b'e' => exactness = Some(true),
            b'i' => exactness = Some(false),
            _ => return None,
        }
        text = &text[2..];
    }
    let value = parse_number(text, radix)?;
    Some(match (value, exactness) {
        (Ok(Value::Int(i)), Some(false)) => Ok(Value::Real(i as f64)),
        (Ok(Value::Real(r)), Some(true)) => {
            if r.fract() == 0.0 && r.abs() < 9.2e18 {
                Ok(Value::Int(r as i64))
            } else {
                Err(format!("{} has no exact value here (integers only)", text))
            }
        }
        (other, _) => other,
    })
}

/// Parses a number: None when `text` is not numeric syntax, Some(Err) when it is but cannot be
/// represented (an integer beyond 64 bits).
pub fn parse_number(text: &str, radix: u32) -> Option<Result<Value, String>> {
    match text.to_ascii_lowercase().as_str() {
        "+inf.0" => return Some(Ok(Value::Real(f64::INFINITY))),
        "-inf.0" => return Some(Ok(Value::Real(f64::NEG_INFINITY))),
        "+nan.0" | "-nan.0" => return Some(Ok(Value::Real(f64::NAN))),
        _ => {}
    }
    let body = text.strip_prefix(|c| c == '+' || c == '-').unwrap_or(text);
    if body.is_empty() {
        return None;
    }
    if body.chars().all(|c| c.is_digit(radix)) {
        return Some(i64::from_str_radix(text, radix).map(Value::Int).map_err(|_| {
            format!("integer {} is out of range (integers are 64-bit)", text)
        }));
    }
    if radix != 10 {
        return None;
    }
    // digits [. digits] [e [sign] digits], with at least one mantissa digit.
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    // e, or one of the older precision markers s, f, d, l (all read as double).
    let mut exponent_at = None;
    if i < bytes.len() && b"eEsSfFdDlL".contains(&bytes[i]) {
        exponent_at = Some(i);
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let parsed = match exponent_at {
        Some(at) => {
            let sign_len = text.len() - body.len();
            let mut normal = text.to_string();
            normal.replace_range(sign_len + at..sign_len + at + 1, "e");
            normal.parse::<f64>()
        }
        None => text.parse::<f64>(),
    };
    parsed.ok().map(|r| Ok(Value::Real(r)))
}
