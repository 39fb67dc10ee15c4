//! Strings, characters and symbols. Strings are UTF-8 and mutable (string-set!, string-fill!,
//! string-copy! rewrite the text); indexes count characters. Case: a character maps only to a
//! single character (so `(char-upcase #\ß)` is `#\ß`); strings use the full mappings.

use crate::builtins::{character, index, make_list, prim, sstring, string, symbol, type_error, ANY};
use crate::eval::{Interp, Primitive};
use crate::printer::display_string;
use crate::value::{
    check_mutable, fail, list_to_vec, pair_bytes, reserve, reserve_n, string_with_capacity, Symbol, Value, R,
};

pub static PRIMS: &[Primitive] = &[
    prim!("string?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Str(_))))),
    prim!("symbol?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Sym(_))))),
    prim!("char?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Char(_))))),
    prim!("string-length", 1, Some(1), |_, a| {
        let s = sstring("string-length", &a[0])?;
        crate::eval::charge(s.borrow().len() / 1024)?;
        Ok(Value::Int(s.char_count() as i64))
    }),
    prim!("string-ref", 2, Some(2), |_, a| {
        let s = sstring("string-ref", &a[0])?;
        let k = index("string-ref", &a[1])?;
        let (ascii, len) = (s.is_ascii(), s.char_count());
        let text = s.borrow();
        let c = if ascii {
            text.as_bytes().get(k).map(|&b| b as char)
        } else {
            // Finding character k walks the text.
            crate::eval::charge(k / 256)?;
            text.chars().nth(k)
        };
        match c {
            Some(c) => Ok(Value::Char(c)),
            None => fail(format!("string-ref: index {} is out of range for a string of length {}", k, len)),
        }
    }),
    prim!("substring", 2, Some(3), |_, a| Ok(Value::str(sub("substring", &a[0], a.get(1), a.get(2))?))),
    prim!("string-copy", 1, Some(3), |_, a| Ok(Value::str(sub("string-copy", &a[0], a.get(1), a.get(2))?))),
    prim!("string-set!", 3, Some(3), |_, a| {
        check_mutable("string-set!", &a[0])?;
        let s = sstring("string-set!", &a[0])?;
        let k = index("string-set!", &a[1])?;
        let c = character("string-set!", &a[2])?;
        let (ascii, len) = (s.is_ascii(), s.char_count());
        if k >= len {
            return fail(format!("string-set!: index {} is out of range for a string of length {}", k, len));
        }
        if !ascii {
            crate::eval::charge(k / 256)?;
        }
        let mut text = s.borrow_mut();
        let at = if ascii { k } else { text.char_indices().nth(k).map_or(text.len(), |(b, _)| b) };
        let old_len = text[at..].chars().next().map_or(1, char::len_utf8);
        // In place when the old and new characters are the same size (always for ASCII).
        text.replace_range(at..at + old_len, c.encode_utf8(&mut [0; 4]));
        s.keep_char_count(len);
        Ok(Value::Unspecified)
    }),
    prim!("string-fill!", 2, Some(4), |_, a| {
        check_mutable("string-fill!", &a[0])?;
        let s = sstring("string-fill!", &a[0])?;
        let c = character("string-fill!", &a[1])?;
        reserve_n(s.borrow().len(), 4)?;
        let mut chars: Vec<char> = s.borrow().chars().collect();
        let (start, end) = crate::vectors::bounds("string-fill!", "string", chars.len(), a.get(2), a.get(3))?;
        for slot in &mut chars[start..end] {
            *slot = c;
        }
        *s.borrow_mut() = chars.into_iter().collect();
        Ok(Value::Unspecified)
    }),
    prim!("string-copy!", 3, Some(5), |_, a| {
        check_mutable("string-copy!", &a[0])?;
        let to = sstring("string-copy!", &a[0])?;
        let at = index("string-copy!", &a[1])?;
        // Copied out first: source and destination may be the same string.
        let from: Vec<char> = sub("string-copy!", &a[2], a.get(3), a.get(4))?.chars().collect();
        reserve_n(to.borrow().len(), 4)?;
        let mut chars: Vec<char> = to.borrow().chars().collect();
        if at > chars.len() || from.len() > chars.len() - at {
            return fail(format!("string-copy!: {} characters do not fit at {} in a string of length {}", from.len(), at, chars.len()));
        }
        chars[at..at + from.len()].copy_from_slice(&from);
        *to.borrow_mut() = chars.into_iter().collect();
        Ok(Value::Unspecified)
    }),
    prim!("string-append", 0, ANY, |_, a| {
        let mut total = 0usize;
        for v in a {
            total += string("string-append", v)?.len();
        }
        let mut out = string_with_capacity(total)?;
        for v in a {
            out.push_str(&string("string-append", v)?);
        }
        Ok(Value::str(out))
    }),
    prim!("string", 0, ANY, |_, a| {
        // Characters, as in R7RS; other values are displayed (handy for building text).
        let mut out = String::new();
        for v in a {
            match v {
                Value::Char(c) => out.push(*c),
                other => out.push_str(&display_string(other)),
            }
            reserve(out.len())?;
        }
        Ok(Value::str(out))
    }),
    prim!("make-string", 1, Some(2), |_, a| {
        let n = index("make-string", &a[0])?;
        let c = match a.get(1) {
            Some(v) => character("make-string", v)?,
            None => ' ',
        };
        let mut out = string_with_capacity(n.saturating_mul(c.len_utf8()))?;
        out.extend(std::iter::repeat(c).take(n));
        Ok(Value::str(out))
    }),
    prim!("string-null?", 1, Some(1), |_, a| Ok(Value::Bool(string("string-null?", &a[0])?.is_empty()))),
    prim!("string=?", 1, ANY, |_, a| compare("string=?", a, false, |o| o.is_eq())),
    prim!("string<?", 1, ANY, |_, a| compare("string<?", a, false, |o| o.is_lt())),
    prim!("string>?", 1, ANY, |_, a| compare("string>?", a, false, |o| o.is_gt())),
    prim!("string<=?", 1, ANY, |_, a| compare("string<=?", a, false, |o| o.is_le())),
    prim!("string>=?", 1, ANY, |_, a| compare("string>=?", a, false, |o| o.is_ge())),
    prim!("string-ci=?", 1, ANY, |_, a| compare("string-ci=?", a, true, |o| o.is_eq())),
    prim!("string-ci<?", 1, ANY, |_, a| compare("string-ci<?", a, true, |o| o.is_lt())),
    prim!("string-ci>?", 1, ANY, |_, a| compare("string-ci>?", a, true, |o| o.is_gt())),
    prim!("string-ci<=?", 1, ANY, |_, a| compare("string-ci<=?", a, true, |o| o.is_le())),
    prim!("string-ci>=?", 1, ANY, |_, a| compare("string-ci>=?", a, true, |o| o.is_ge())),
    prim!("string-upcase", 1, Some(1), |_, a| Ok(Value::str(string("string-upcase", &a[0])?.to_uppercase()))),
    prim!("string-downcase", 1, Some(1), |_, a| Ok(Value::str(string("string-downcase", &a[0])?.to_lowercase()))),
    prim!("string-foldcase", 1, Some(1), |_, a| Ok(Value::str(fold_case(&string("string-foldcase", &a[0])?)))),
    prim!("string-reverse", 1, Some(1), |_, a| Ok(Value::str(string("string-reverse", &a[0])?.chars().rev().collect::<String>()))),
    prim!("string-index", 2, Some(2), |_, a| {
        let s = string("string-index", &a[0])?;
        let c = character("string-index", &a[1])?;
        Ok(s.chars().position(|x| x == c).map_or(Value::Bool(false), |i| Value::Int(i as i64)))
    }),
    prim!("string-contains", 2, Some(2), |_, a| {
        let s = string("string-contains", &a[0])?;
        let pattern = string("string-contains", &a[1])?;
        Ok(s.find(pattern.as_str()).map_or(Value::Bool(false), |b| Value::Int(char_count(&s[..b]) as i64)))
    }),
    prim!("string-prefix?", 2, Some(2), |_, a| {
        Ok(Value::Bool(string("string-prefix?", &a[1])?.starts_with(string("string-prefix?", &a[0])?.as_str())))
    }),
    prim!("string-suffix?", 2, Some(2), |_, a| {
        Ok(Value::Bool(string("string-suffix?", &a[1])?.ends_with(string("string-suffix?", &a[0])?.as_str())))
    }),
    prim!("string-trim", 1, Some(1), |_, a| Ok(Value::str(string("string-trim", &a[0])?.trim()))),
    prim!("string-trim-left", 1, Some(1), |_, a| Ok(Value::str(string("string-trim-left", &a[0])?.trim_start()))),
    prim!("string-trim-right", 1, Some(1), |_, a| Ok(Value::str(string("string-trim-right", &a[0])?.trim_end()))),
    prim!("string-pad-left", 2, Some(3), |_, a| pad("string-pad-left", a, true)),
    prim!("string-pad-right", 2, Some(3), |_, a| pad("string-pad-right", a, false)),
    prim!("string-split", 1, Some(2), split),
    prim!("string-join", 1, Some(2), join),
    prim!("string->list", 1, Some(3), |_, a| {
        let s = sub("string->list", &a[0], a.get(1), a.get(2))?;
        reserve_n(s.len(), pair_bytes())?;
        make_list(s.chars().map(Value::Char).collect())
    }),
    prim!("list->string", 1, Some(1), |_, a| {
        let items = list_to_vec("list->string", &a[0])?;
        let mut out = string_with_capacity(items.len())?;
        for v in items {
            out.push(character("list->string", &v)?);
        }
        Ok(Value::str(out))
    }),
    prim!("string->symbol", 1, Some(1), |_, a| Ok(Value::Sym(Symbol::intern(&string("string->symbol", &a[0])?)))),
    prim!("symbol->string", 1, Some(1), |_, a| Ok(Value::str(symbol("symbol->string", &a[0])?.name()))),
    prim!("symbol=?", 1, ANY, |_, a| {
        let first = symbol("symbol=?", &a[0])?;
        for v in &a[1..] {
            if symbol("symbol=?", v)? != first {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    }),
    prim!("char->integer", 1, Some(1), |_, a| Ok(Value::Int(character("char->integer", &a[0])? as i64))),
    prim!("integer->char", 1, Some(1), |_, a| {
        let n = index("integer->char", &a[0])?;
        u32::try_from(n)
            .ok()
            .and_then(char::from_u32)
            .map(Value::Char)
            .map_or_else(|| fail(format!("integer->char: {} is not a character code", n)), Ok)
    }),
    prim!("char-upcase", 1, Some(1), |_, a| Ok(Value::Char(single(character("char-upcase", &a[0])?, char::to_uppercase)))),
    prim!("char-downcase", 1, Some(1), |_, a| Ok(Value::Char(single(character("char-downcase", &a[0])?, char::to_lowercase)))),
    prim!("char-foldcase", 1, Some(1), |_, a| Ok(Value::Char(fold_char(character("char-foldcase", &a[0])?)))),
    prim!("char-alphabetic?", 1, Some(1), |_, a| Ok(Value::Bool(character("char-alphabetic?", &a[0])?.is_alphabetic()))),
    prim!("char-numeric?", 1, Some(1), |_, a| Ok(Value::Bool(digit(character("char-numeric?", &a[0])?).is_some()))),
    prim!("char-whitespace?", 1, Some(1), |_, a| Ok(Value::Bool(character("char-whitespace?", &a[0])?.is_whitespace()))),
    prim!("char-upper-case?", 1, Some(1), |_, a| Ok(Value::Bool(character("char-upper-case?", &a[0])?.is_uppercase()))),
    prim!("char-lower-case?", 1, Some(1), |_, a| Ok(Value::Bool(character("char-lower-case?", &a[0])?.is_lowercase()))),
    prim!("digit-value", 1, Some(1), |_, a| {
        Ok(digit(character("digit-value", &a[0])?).map_or(Value::Bool(false), |d| Value::Int(d as i64)))
    }),
    prim!("char=?", 1, ANY, |_, a| char_compare("char=?", a, |x, y| x == y)),
    prim!("char<?", 1, ANY, |_, a| char_compare("char<?", a, |x, y| x < y)),
    prim!("char>?", 1, ANY, |_, a| char_compare("char>?", a, |x, y| x > y)),
    prim!("char<=?", 1, ANY, |_, a| char_compare("char<=?", a, |x, y| x <= y)),
    prim!("char>=?", 1, ANY, |_, a| char_compare("char>=?", a, |x, y| x >= y)),
    prim!("char-ci=?", 1, ANY, |_, a| char_compare("char-ci=?", a, |x, y| fold_char(x) == fold_char(y))),
    prim!("char-ci<?", 1, ANY, |_, a| char_compare("char-ci<?", a, |x, y| fold_char(x) < fold_char(y))),
    prim!("char-ci>?", 1, ANY, |_, a| char_compare("char-ci>?", a, |x, y| fold_char(x) > fold_char(y))),
    prim!("char-ci<=?", 1, ANY, |_, a| char_compare("char-ci<=?", a, |x, y| fold_char(x) <= fold_char(y))),
    prim!("char-ci>=?", 1, ANY, |_, a| char_compare("char-ci>=?", a, |x, y| fold_char(x) >= fold_char(y))),
];

/// A character's case mapping when it is a single character; otherwise the character itself.
fn single<I: Iterator<Item = char>>(c: char, map: fn(char) -> I) -> char {
    let mut it = map(c);
    match (it.next(), it.next()) {
        (Some(m), None) => m,
        _ => c,
    }
}

fn fold_char(c: char) -> char {
    single(single(c, char::to_uppercase), char::to_lowercase)
}

/// Case folding for comparisons (and string-ci tables).
pub fn fold_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'ß' => out.push_str("ss"),
            c => out.extend(single(c, char::to_uppercase).to_lowercase()),
        }
    }
    out
}

/// The value of a decimal digit in any script (Unicode Nd digits come in runs of ten).
fn digit(c: char) -> Option<u32> {
    if let Some(d) = c.to_digit(10) {
        return Some(d);
    }
    if !c.is_numeric() || c.is_ascii() {
        return None;
    }
    // Zeros of the decimal digit runs outside ASCII.
    const ZEROS: &[u32] = &[
        0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
        0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
        0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    ];
    let code = c as u32;
    ZEROS.iter().find(|&&z| code >= z && code < z + 10).map(|&z| code - z)
}

fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Byte offset of character `k`, or None past the end.
fn offset(s: &str, k: usize) -> Option<usize> {
    if s.is_ascii() {
        return if k <= s.len() { Some(k) } else { None };
    }
    if k == 0 {
        return Some(0);
    }
    let mut count = 0;
    for (i, _) in s.char_indices() {
        if count == k {
            return Some(i);
        }
        count += 1;
    }
    if count == k {
        Some(s.len())
    } else {
        None
    }
}

/// The part of string `s` from character `start` to `end` (both optional).
pub fn sub(who: &str, s: &Value, start: Option<&Value>, end: Option<&Value>) -> R<String> {
    let len = sstring(who, s)?.char_count();
    let s = string(who, s)?;
    let (start, end) = crate::vectors::bounds(who, "string", len, start, end)?;
    reserve(end - start)?;
    match (offset(&s, start), offset(&s, end)) {
        (Some(b), Some(e)) => Ok(s[b..e].to_string()),
        _ => fail(format!("{}: range out of bounds", who)),
    }
}

fn compare(who: &str, a: &[Value], fold_case: bool, ok: fn(std::cmp::Ordering) -> bool) -> R<Value> {
    let mut strings = Vec::with_capacity(a.len());
    for v in a {
        let s = string(who, v)?;
        strings.push(if fold_case { self::fold_case(&s) } else { s.to_string() });
    }
    Ok(Value::Bool(strings.windows(2).all(|w| ok(w[0].cmp(&w[1])))))
}

fn char_compare(who: &str, a: &[Value], ok: fn(char, char) -> bool) -> R<Value> {
    let mut chars = Vec::with_capacity(a.len());
    for v in a {
        chars.push(character(who, v)?);
    }
    Ok(Value::Bool(chars.windows(2).all(|w| ok(w[0], w[1]))))
}

/// `(string-pad-left s n [char])`: pads or cuts to n characters, keeping the right end
/// (left) or the left end (right), as for aligning numbers in columns.
fn pad(who: &str, a: &[Value], left: bool) -> R<Value> {
    let s = string(who, &a[0])?;
    let n = index(who, &a[1])?;
    let c = match a.get(2) {
        Some(v) => character(who, v)?,
        None => ' ',
    };
    reserve(n.saturating_mul(c.len_utf8()).saturating_add(s.len()))?;
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len();
    let out: String = if len >= n {
        if left {
            chars[len - n..].iter().collect()
        } else {
            chars[..n].iter().collect()
        }
    } else {
        let fill: String = std::iter::repeat(c).take(n - len).collect();
        if left {
            fill + &s
        } else {
            s.to_string() + &fill
        }
    };
    Ok(Value::str(out))
}

/// `(string-split s [sep])`: by a character or string; without one, into whitespace-separated
/// words.
fn split(_: &mut Interp, a: &[Value]) -> R<Value> {
    let s = string("string-split", &a[0])?;
    reserve(s.len() * 2)?;
    let parts: Vec<Value> = match a.get(1) {
        None => s.split_whitespace().map(Value::str).collect(),
        Some(Value::Char(c)) => s.split(*c).map(Value::str).collect(),
        Some(Value::Str(sep)) if !sep.borrow().is_empty() => s.split(sep.borrow().as_str()).map(Value::str).collect(),
        Some(other) => return type_error("string-split", "a character or non-empty string separator", other),
    };
    make_list(parts)
}

/// `(string-join list [sep])`, sep defaulting to a space.
fn join(_: &mut Interp, a: &[Value]) -> R<Value> {
    let items = list_to_vec("string-join", &a[0])?;
    let sep = match a.get(1) {
        Some(v) => string("string-join", v)?.clone(),
        None => " ".to_string(),
    };
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        out.push_str(&string("string-join", item)?);
        reserve(out.len())?;
    }
    Ok(Value::str(out))
}
