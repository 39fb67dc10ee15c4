//! Numbers: 64-bit integers with checked arithmetic (overflow is an error, never a wrap) and
//! f64 reals. Integer operations stay exact while they can: (/ 6 3) is 2, (/ 1 2) is 0.5.
//! Comparisons between an integer and a real are exact (no rounding of the integer), and an
//! inexact argument makes an integer operation's result inexact.

use crate::builtins::{int, prim, string, type_error, ANY};
use crate::eval::{Interp, Primitive};
use crate::printer::format_real;
use crate::reader::parse_prefixed;
use crate::value::{fail, Value, R};

pub static PRIMS: &[Primitive] = &[
    prim!("+", 0, ANY, add),
    prim!("-", 1, ANY, sub),
    prim!("*", 0, ANY, mul),
    prim!("/", 1, ANY, div),
    prim!("=", 1, ANY, |_, a| compare("=", a, |o| o == std::cmp::Ordering::Equal)),
    prim!("<", 1, ANY, |_, a| compare("<", a, |o| o == std::cmp::Ordering::Less)),
    prim!(">", 1, ANY, |_, a| compare(">", a, |o| o == std::cmp::Ordering::Greater)),
    prim!("<=", 1, ANY, |_, a| compare("<=", a, |o| o != std::cmp::Ordering::Greater)),
    prim!(">=", 1, ANY, |_, a| compare(">=", a, |o| o != std::cmp::Ordering::Less)),
    prim!("quotient", 2, Some(2), |_, a| int_division("quotient", a, |x, y| x.checked_div(y))),
    prim!("remainder", 2, Some(2), |_, a| int_division("remainder", a, |x, y| Some(x.wrapping_rem(y)))),
    prim!("modulo", 2, Some(2), |_, a| {
        int_division("modulo", a, |x, y| {
            let r = x.wrapping_rem(y);
            Some(if r != 0 && (r < 0) != (y < 0) { r + y } else { r })
        })
    }),
    prim!("abs", 1, Some(1), |_, a| match num("abs", &a[0])? {
        Num::I(i) => i.checked_abs().map(Value::Int).map_or_else(|| overflow("abs"), Ok),
        Num::F(f) => Ok(Value::Real(f.abs())),
    }),
    prim!("min", 1, ANY, |_, a| extremum("min", a, std::cmp::Ordering::Less)),
    prim!("max", 1, ANY, |_, a| extremum("max", a, std::cmp::Ordering::Greater)),
    prim!("gcd", 0, ANY, |_, a| {
        let mut g: i64 = 0;
        for v in a {
            g = gcd(g, int("gcd", v)?).map_or_else(|| overflow("gcd"), Ok)?;
        }
        Ok(exactness(a, g))
    }),
    prim!("lcm", 0, ANY, |_, a| {
        let mut l: i64 = 1;
        for v in a {
            let n = int("lcm", v)?;
            if n == 0 {
                return Ok(exactness(a, 0));
            }
            let g = gcd(l, n).map_or_else(|| overflow("lcm"), Ok)?;
            l = (l / g).checked_mul(n).and_then(|x| x.checked_abs()).map_or_else(|| overflow("lcm"), Ok)?;
        }
        Ok(exactness(a, l))
    }),
    prim!("floor/", 2, Some(2), |_, a| {
        let q = int_division("floor/", a, floor_div)?;
        let r = int_division("floor/", a, floor_mod)?;
        Ok(crate::eval::values(vec![q, r]))
    }),
    prim!("truncate/", 2, Some(2), |_, a| {
        let q = int_division("truncate/", a, |x, y| x.checked_div(y))?;
        let r = int_division("truncate/", a, |x, y| Some(x.wrapping_rem(y)))?;
        Ok(crate::eval::values(vec![q, r]))
    }),
    prim!("floor-quotient", 2, Some(2), |_, a| int_division("floor-quotient", a, floor_div)),
    prim!("floor-remainder", 2, Some(2), |_, a| int_division("floor-remainder", a, floor_mod)),
    prim!("truncate-quotient", 2, Some(2), |_, a| int_division("truncate-quotient", a, |x, y| x.checked_div(y))),
    prim!("truncate-remainder", 2, Some(2), |_, a| int_division("truncate-remainder", a, |x, y| Some(x.wrapping_rem(y)))),
    prim!("finite?", 1, Some(1), |_, a| Ok(Value::Bool(num("finite?", &a[0])?.as_f64().is_finite()))),
    prim!("infinite?", 1, Some(1), |_, a| Ok(Value::Bool(num("infinite?", &a[0])?.as_f64().is_infinite()))),
    prim!("exact-rational?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Int(_))))),
    prim!("numerator", 1, Some(1), |_, a| match num("numerator", &a[0])? {
        Num::I(i) => Ok(Value::Int(i)),
        Num::F(f) => Ok(Value::Real(fraction(f).0)),
    }),
    prim!("denominator", 1, Some(1), |_, a| match num("denominator", &a[0])? {
        Num::I(_) => Ok(Value::Int(1)),
        Num::F(f) => Ok(Value::Real(fraction(f).1)),
    }),
    prim!("number?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Int(_) | Value::Real(_))))),
    prim!("complex?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Int(_) | Value::Real(_))))),
    prim!("real?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Int(_) | Value::Real(_))))),
    prim!("rational?", 1, Some(1), |_, a| {
        Ok(Value::Bool(match a[0] {
            Value::Int(_) => true,
            Value::Real(r) => r.is_finite(),
            _ => false,
        }))
    }),
    prim!("integer?", 1, Some(1), |_, a| {
        Ok(Value::Bool(match a[0] {
            Value::Int(_) => true,
            Value::Real(r) => r.is_finite() && r.fract() == 0.0,
            _ => false,
        }))
    }),
    prim!("exact?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(num("exact?", &a[0])?, Num::I(_))))),
    prim!("inexact?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(num("inexact?", &a[0])?, Num::F(_))))),
    prim!("exact-integer?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Int(_))))),
    prim!("nan?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(num("nan?", &a[0])?, Num::F(f) if f.is_nan())))),
    prim!("exact-nonnegative-integer?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Int(i) if i >= 0)))),
    prim!("zero?", 1, Some(1), |_, a| Ok(Value::Bool(num("zero?", &a[0])?.as_f64() == 0.0))),
    prim!("positive?", 1, Some(1), |_, a| Ok(Value::Bool(num("positive?", &a[0])?.as_f64() > 0.0))),
    prim!("negative?", 1, Some(1), |_, a| Ok(Value::Bool(num("negative?", &a[0])?.as_f64() < 0.0))),
    prim!("even?", 1, Some(1), |_, a| Ok(Value::Bool(int("even?", &a[0])? % 2 == 0))),
    prim!("odd?", 1, Some(1), |_, a| Ok(Value::Bool(int("odd?", &a[0])? % 2 != 0))),
    prim!("1+", 1, Some(1), |i, a| add(i, &[a[0].clone(), Value::Int(1)])),
    prim!("-1+", 1, Some(1), |i, a| sub(i, &[a[0].clone(), Value::Int(1)])),
    prim!("square", 1, Some(1), |i, a| mul(i, &[a[0].clone(), a[0].clone()])),
    prim!("exact->inexact", 1, Some(1), inexact),
    prim!("inexact", 1, Some(1), inexact),
    prim!("exact", 1, Some(1), exact),
    prim!("inexact->exact", 1, Some(1), exact),
    prim!("floor", 1, Some(1), |_, a| rounding("floor", &a[0], f64::floor)),
    prim!("ceiling", 1, Some(1), |_, a| rounding("ceiling", &a[0], f64::ceil)),
    prim!("truncate", 1, Some(1), |_, a| rounding("truncate", &a[0], f64::trunc)),
    prim!("round", 1, Some(1), |_, a| rounding("round", &a[0], round_half_even)),
    prim!("sqrt", 1, Some(1), sqrt),
    prim!("exact-integer-sqrt", 1, Some(1), |_, a| {
        let n = int("exact-integer-sqrt", &a[0])?;
        if n < 0 {
            return fail("exact-integer-sqrt: negative argument");
        }
        let s = isqrt(n);
        Ok(crate::eval::values(vec![Value::Int(s), Value::Int(n - s * s)]))
    }),
    prim!("expt", 2, Some(2), expt),
    prim!("exp", 1, Some(1), |_, a| real_fn("exp", &a[0], f64::exp)),
    prim!("log", 1, Some(2), |_, a| {
        let x = num("log", &a[0])?.as_f64();
        match a.get(1) {
            Some(b) => Ok(Value::Real(x.ln() / num("log", b)?.as_f64().ln())),
            None => Ok(Value::Real(x.ln())),
        }
    }),
    prim!("sin", 1, Some(1), |_, a| real_fn("sin", &a[0], f64::sin)),
    prim!("cos", 1, Some(1), |_, a| real_fn("cos", &a[0], f64::cos)),
    prim!("tan", 1, Some(1), |_, a| real_fn("tan", &a[0], f64::tan)),
    prim!("asin", 1, Some(1), |_, a| real_fn("asin", &a[0], f64::asin)),
    prim!("acos", 1, Some(1), |_, a| real_fn("acos", &a[0], f64::acos)),
    prim!("atan", 1, Some(2), |_, a| {
        let y = num("atan", &a[0])?.as_f64();
        match a.get(1) {
            Some(x) => Ok(Value::Real(y.atan2(num("atan", x)?.as_f64()))),
            None => Ok(Value::Real(y.atan())),
        }
    }),
    prim!("number->string", 1, Some(2), number_to_string),
    prim!("string->number", 1, Some(2), |_, a| {
        let text = string("string->number", &a[0])?;
        let radix = radix("string->number", a.get(1))?;
        Ok(match parse_prefixed(&text, radix) {
            Some(Ok(v)) => v,
            _ => Value::Bool(false),
        })
    }),
    prim!("random", 1, Some(1), random),
    prim!("current-jiffy", 0, Some(0), |_, _| {
        let micros = START.with(|s| s.elapsed().as_micros());
        Ok(Value::Int(micros.min(i64::MAX as u128) as i64))
    }),
    prim!("jiffies-per-second", 0, Some(0), |_, _| Ok(Value::Int(1_000_000))),
    prim!("current-second", 0, Some(0), |_, _| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        Ok(Value::Real(now.map(|d| d.as_secs_f64()).unwrap_or(0.0)))
    }),
];

thread_local! {
    static START: std::time::Instant = std::time::Instant::now();
}

#[derive(Clone, Copy)]
pub enum Num {
    I(i64),
    F(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }

    fn value(self) -> Value {
        match self {
            Num::I(i) => Value::Int(i),
            Num::F(f) => Value::Real(f),
        }
    }
}

pub fn num(who: &str, v: &Value) -> R<Num> {
    match v {
        Value::Int(i) => Ok(Num::I(*i)),
        Value::Real(f) => Ok(Num::F(*f)),
        _ => type_error(who, "a number", v),
    }
}

fn overflow<T>(who: &str) -> R<T> {
    fail(format!("{}: integer overflow (integers are 64-bit)", who))
}

fn arith(who: &str, a: Num, b: Num, int_op: fn(i64, i64) -> Option<i64>, real_op: fn(f64, f64) -> f64) -> R<Num> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => int_op(x, y).map(Num::I).map_or_else(|| overflow(who), Ok),
        _ => Ok(Num::F(real_op(a.as_f64(), b.as_f64()))),
    }
}

fn add(_: &mut Interp, args: &[Value]) -> R<Value> {
    if let [Value::Int(x), Value::Int(y)] = args {
        return x.checked_add(*y).map(Value::Int).map_or_else(|| overflow("+"), Ok);
    }
    let mut acc = Num::I(0);
    for a in args {
        acc = arith("+", acc, num("+", a)?, i64::checked_add, |x, y| x + y)?;
    }
    Ok(acc.value())
}

fn sub(_: &mut Interp, args: &[Value]) -> R<Value> {
    if let [Value::Int(x), Value::Int(y)] = args {
        return x.checked_sub(*y).map(Value::Int).map_or_else(|| overflow("-"), Ok);
    }
    let first = num("-", &args[0])?;
    if args.len() == 1 {
        return match first {
            Num::I(i) => i.checked_neg().map(Value::Int).map_or_else(|| overflow("-"), Ok),
            Num::F(f) => Ok(Value::Real(-f)),
        };
    }
    let mut acc = first;
    for a in &args[1..] {
        acc = arith("-", acc, num("-", a)?, i64::checked_sub, |x, y| x - y)?;
    }
    Ok(acc.value())
}

fn mul(_: &mut Interp, args: &[Value]) -> R<Value> {
    let mut acc = Num::I(1);
    for a in args {
        acc = arith("*", acc, num("*", a)?, i64::checked_mul, |x, y| x * y)?;
    }
    Ok(acc.value())
}

fn divide(a: Num, b: Num) -> R<Num> {
    match (a, b) {
        (_, Num::I(0)) => fail("/: division by zero"),
        (Num::I(x), Num::I(y)) => {
            if x.wrapping_rem(y) == 0 {
                x.checked_div(y).map(Num::I).map_or_else(|| overflow("/"), Ok)
            } else {
                Ok(Num::F(x as f64 / y as f64))
            }
        }
        _ => Ok(Num::F(a.as_f64() / b.as_f64())),
    }
}

fn div(_: &mut Interp, args: &[Value]) -> R<Value> {
    let first = num("/", &args[0])?;
    if args.len() == 1 {
        return divide(Num::I(1), first).map(Num::value);
    }
    let mut acc = first;
    for a in &args[1..] {
        acc = divide(acc, num("/", a)?)?;
    }
    Ok(acc.value())
}

fn int_division(who: &str, args: &[Value], op: fn(i64, i64) -> Option<i64>) -> R<Value> {
    let (x, y) = (int(who, &args[0])?, int(who, &args[1])?);
    if y == 0 {
        return fail(format!("{}: division by zero", who));
    }
    let result = op(x, y).map_or_else(|| overflow(who), Ok)?;
    // Integral reals in, real out.
    if matches!(args[0], Value::Real(_)) || matches!(args[1], Value::Real(_)) {
        Ok(Value::Real(result as f64))
    } else {
        Ok(Value::Int(result))
    }
}

fn ordering(a: Num, b: Num) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::F(y)) => int_vs_real(x, y),
        (Num::F(x), Num::I(y)) => int_vs_real(y, x).map(std::cmp::Ordering::reverse),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
    }
}

/// Compares an integer with a real exactly: converting the integer to f64 would round it
/// (9007199254740993 would equal 9007199254740992.0).
fn int_vs_real(i: i64, r: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering::*;
    if r.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every finite real in [-2^63, 2^63) has an i64 floor.
    if r >= 9_223_372_036_854_775_808.0 {
        return Some(Less);
    }
    if r < -9_223_372_036_854_775_808.0 {
        return Some(Greater);
    }
    let floor = r.floor();
    match i.cmp(&(floor as i64)) {
        Equal if r > floor => Some(Less),
        other => Some(other),
    }
}

/// `n` as an integer, or as a real when any argument was inexact.
fn exactness(args: &[Value], n: i64) -> Value {
    if args.iter().any(|a| matches!(a, Value::Real(_))) {
        Value::Real(n as f64)
    } else {
        Value::Int(n)
    }
}

/// A finite real as numerator and denominator (both integral reals): its exact binary value.
fn fraction(f: f64) -> (f64, f64) {
    if !f.is_finite() {
        return (f, 1.0);
    }
    let (mut n, mut d) = (f, 1.0);
    while n.fract() != 0.0 && d < 1e308 {
        n *= 2.0;
        d *= 2.0;
    }
    (n, d)
}

fn floor_div(x: i64, y: i64) -> Option<i64> {
    let q = x.checked_div(y)?;
    Some(if (x % y != 0) && ((x < 0) != (y < 0)) { q - 1 } else { q })
}

fn floor_mod(x: i64, y: i64) -> Option<i64> {
    let r = x.wrapping_rem(y);
    Some(if r != 0 && (r < 0) != (y < 0) { r + y } else { r })
}

fn compare(who: &str, args: &[Value], ok: fn(std::cmp::Ordering) -> bool) -> R<Value> {
    if let [Value::Int(x), Value::Int(y)] = args {
        return Ok(Value::Bool(ok(x.cmp(y))));
    }
    let mut result = true;
    let mut prev = num(who, &args[0])?;
    for a in &args[1..] {
        let n = num(who, a)?;
        // Keep checking types after the answer is known, so (< 1 0 'x) is still an error.
        if result && !ordering(prev, n).map_or(false, ok) {
            result = false;
        }
        prev = n;
    }
    Ok(Value::Bool(result))
}

fn extremum(who: &str, args: &[Value], want: std::cmp::Ordering) -> R<Value> {
    let mut best = num(who, &args[0])?;
    let mut inexact = matches!(best, Num::F(_));
    for a in &args[1..] {
        let n = num(who, a)?;
        inexact |= matches!(n, Num::F(_));
        if ordering(n, best) == Some(want) || n.as_f64().is_nan() {
            best = n;
        }
    }
    Ok(if inexact { Value::Real(best.as_f64()) } else { best.value() })
}

fn gcd(a: i64, b: i64) -> Option<i64> {
    let (mut a, mut b) = (a.checked_abs()?, b.checked_abs()?);
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    Some(a)
}

fn inexact(_: &mut Interp, args: &[Value]) -> R<Value> {
    Ok(Value::Real(num("inexact", &args[0])?.as_f64()))
}

fn exact(_: &mut Interp, args: &[Value]) -> R<Value> {
    match num("exact", &args[0])? {
        Num::I(i) => Ok(Value::Int(i)),
        Num::F(f) => {
            if f.fract() == 0.0 && f >= -9.223_372_036_854_776e18 && f < 9.223_372_036_854_776e18 {
                Ok(Value::Int(f as i64))
            } else {
                fail(format!("exact: {} has no exact integer value (round it first)", format_real(f)))
            }
        }
    }
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

fn rounding(who: &str, v: &Value, f: fn(f64) -> f64) -> R<Value> {
    match num(who, v)? {
        Num::I(i) => Ok(Value::Int(i)),
        Num::F(x) => Ok(Value::Real(f(x))),
    }
}

fn real_fn(who: &str, v: &Value, f: fn(f64) -> f64) -> R<Value> {
    Ok(Value::Real(f(num(who, v)?.as_f64())))
}

fn isqrt(n: i64) -> i64 {
    let mut s = (n as f64).sqrt() as i64;
    while s > 0 && s.checked_mul(s).map_or(true, |sq| sq > n) {
        s -= 1;
    }
    while (s + 1).checked_mul(s + 1).map_or(false, |sq| sq <= n) {
        s += 1;
    }
    s
}

fn sqrt(_: &mut Interp, args: &[Value]) -> R<Value> {
    match num("sqrt", &args[0])? {
        Num::I(i) if i >= 0 => {
            let s = isqrt(i);
            Ok(if s * s == i { Value::Int(s) } else { Value::Real((i as f64).sqrt()) })
        }
        n => {
            let x = n.as_f64();
            if x < 0.0 {
                fail(format!("sqrt: {} has no real square root", crate::printer::write_string(&args[0])))
            } else {
                Ok(Value::Real(x.sqrt()))
            }
        }
    }
}

fn expt(_: &mut Interp, args: &[Value]) -> R<Value> {
    let (base, power) = (num("expt", &args[0])?, num("expt", &args[1])?);
    match (base, power) {
        (Num::I(b), Num::I(p)) if p >= 0 => {
            let p32 = u32::try_from(p).ok();
            match (b, p32) {
                (0, _) => Ok(Value::Int(if p == 0 { 1 } else { 0 })),
                (1, _) => Ok(Value::Int(1)),
                (-1, _) => Ok(Value::Int(if p % 2 == 0 { 1 } else { -1 })),
                (_, Some(p)) => b.checked_pow(p).map(Value::Int).map_or_else(|| overflow("expt"), Ok),
                (_, None) => overflow("expt"),
            }
        }
        (Num::I(0), Num::I(_)) => fail("expt: division by zero"),
        _ => Ok(Value::Real(base.as_f64().powf(power.as_f64()))),
    }
}

fn radix(who: &str, v: Option<&Value>) -> R<u32> {
    match v {
        None => Ok(10),
        Some(v) => match int(who, v)? {
            r @ (2 | 8 | 10 | 16) => Ok(r as u32),
            _ => fail(format!("{}: radix must be 2, 8, 10 or 16", who)),
        },
    }
}

fn number_to_string(_: &mut Interp, args: &[Value]) -> R<Value> {
    let radix = radix("number->string", args.get(1))?;
    match num("number->string", &args[0])? {
        Num::I(i) => {
            let digits = match radix {
                2 => format!("{:b}", i.unsigned_abs()),
                8 => format!("{:o}", i.unsigned_abs()),
                16 => format!("{:x}", i.unsigned_abs()),
                _ => i.unsigned_abs().to_string(),
            };
            Ok(Value::str(if i < 0 { format!("-{}", digits) } else { digits }))
        }
        Num::F(f) if radix == 10 => Ok(Value::str(format_real(f))),
        Num::F(_) => fail("number->string: reals are written in radix 10 only"),
    }
}

/// xorshift64*, seeded from the host's randomness on first use.
fn next_random(interp: &mut Interp) -> u64 {
    if interp.rng_state == 0 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5eed);
        interp.rng_state = h.finish() | 1;
    }
    let mut x = interp.rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    interp.rng_state = x;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn random(interp: &mut Interp, args: &[Value]) -> R<Value> {
    match num("random", &args[0])? {
        Num::I(n) if n > 0 => Ok(Value::Int((next_random(interp) % n as u64) as i64)),
        Num::F(x) if x > 0.0 => Ok(Value::Real((next_random(interp) >> 11) as f64 / (1u64 << 53) as f64 * x)),
        _ => type_error("random", "a positive number", &args[0]),
    }
}
