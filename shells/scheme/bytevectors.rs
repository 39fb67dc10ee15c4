//! Bytevectors (`#u8(...)`) and the conversions between them and UTF-8 strings. Their binary
//! ports are in ports.rs.

use std::cell::RefCell;
use std::rc::Rc;

use crate::builtins::{index, prim, type_error, ANY};
use crate::eval::Primitive;
use crate::value::{check_mutable, fail, vec_with_capacity, Value, R};

pub struct Bytevector {
    pub bytes: RefCell<Vec<u8>>,
}

impl Bytevector {
    pub fn new(bytes: Vec<u8>) -> Value {
        Value::Bytevector(Rc::new(Bytevector { bytes: RefCell::new(bytes) }))
    }
}

pub fn bytevector<'a>(who: &str, v: &'a Value) -> R<&'a Rc<Bytevector>> {
    match v {
        Value::Bytevector(b) => Ok(b),
        other => type_error(who, "a bytevector", other),
    }
}

pub fn byte(who: &str, v: &Value) -> R<u8> {
    match v {
        Value::Int(i) if (0..256).contains(i) => Ok(*i as u8),
        other => type_error(who, "a byte (0 to 255)", other),
    }
}

/// The bytes `(proc bytevector [start [end]])` selects, copied.
pub fn range(who: &str, v: &Value, start: Option<&Value>, end: Option<&Value>) -> R<Vec<u8>> {
    let b = bytevector(who, v)?.bytes.borrow();
    let (start, end) = crate::vectors::bounds(who, "bytevector", b.len(), start, end)?;
    let mut out = vec_with_capacity(end - start)?;
    out.extend_from_slice(&b[start..end]);
    Ok(out)
}

pub static PRIMS: &[Primitive] = &[
    prim!("bytevector?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Bytevector(_))))),
    prim!("make-bytevector", 1, Some(2), |_, a| {
        let n = index("make-bytevector", &a[0])?;
        let fill = match a.get(1) {
            Some(v) => byte("make-bytevector", v)?,
            None => 0,
        };
        let mut bytes = vec_with_capacity(n)?;
        bytes.resize(n, fill);
        Ok(Bytevector::new(bytes))
    }),
    prim!("bytevector", 0, ANY, |_, a| {
        let bytes = a.iter().map(|v| byte("bytevector", v)).collect::<R<Vec<u8>>>()?;
        Ok(Bytevector::new(bytes))
    }),
    prim!("bytevector-length", 1, Some(1), |_, a| Ok(Value::Int(bytevector("bytevector-length", &a[0])?.bytes.borrow().len() as i64))),
    prim!("bytevector-u8-ref", 2, Some(2), |_, a| {
        let b = bytevector("bytevector-u8-ref", &a[0])?.bytes.borrow();
        let k = index("bytevector-u8-ref", &a[1])?;
        match b.get(k) {
            Some(x) => Ok(Value::Int(*x as i64)),
            None => fail(format!("bytevector-u8-ref: index {} is out of range for a bytevector of length {}", k, b.len())),
        }
    }),
    prim!("bytevector-u8-set!", 3, Some(3), |_, a| {
        check_mutable("bytevector-u8-set!", &a[0])?;
        let mut b = bytevector("bytevector-u8-set!", &a[0])?.bytes.borrow_mut();
        let k = index("bytevector-u8-set!", &a[1])?;
        let x = byte("bytevector-u8-set!", &a[2])?;
        let len = b.len();
        match b.get_mut(k) {
            Some(slot) => *slot = x,
            None => return fail(format!("bytevector-u8-set!: index {} is out of range for a bytevector of length {}", k, len)),
        }
        Ok(Value::Unspecified)
    }),
    prim!("bytevector-copy", 1, Some(3), |_, a| Ok(Bytevector::new(range("bytevector-copy", &a[0], a.get(1), a.get(2))?))),
    prim!("bytevector-copy!", 3, Some(5), |_, a| {
        check_mutable("bytevector-copy!", &a[0])?;
        let to = bytevector("bytevector-copy!", &a[0])?;
        let at = index("bytevector-copy!", &a[1])?;
        // Copied out first: source and destination may be the same bytevector.
        let from = range("bytevector-copy!", &a[2], a.get(3), a.get(4))?;
        let mut b = to.bytes.borrow_mut();
        if at > b.len() || from.len() > b.len() - at {
            return fail(format!("bytevector-copy!: {} bytes do not fit at {} in a bytevector of length {}", from.len(), at, b.len()));
        }
        b[at..at + from.len()].copy_from_slice(&from);
        Ok(Value::Unspecified)
    }),
    prim!("bytevector-append", 0, ANY, |_, a| {
        let mut total = 0;
        for v in a {
            total += bytevector("bytevector-append", v)?.bytes.borrow().len();
        }
        let mut out = vec_with_capacity(total)?;
        for v in a {
            out.extend_from_slice(&bytevector("bytevector-append", v)?.bytes.borrow());
        }
        Ok(Bytevector::new(out))
    }),
    prim!("bytevector-fill!", 2, Some(4), |_, a| {
        let x = byte("bytevector-fill!", &a[1])?;
        check_mutable("bytevector-fill!", &a[0])?;
        let mut b = bytevector("bytevector-fill!", &a[0])?.bytes.borrow_mut();
        let (start, end) = crate::vectors::bounds("bytevector-fill!", "bytevector", b.len(), a.get(2), a.get(3))?;
        for slot in &mut b[start..end] {
            *slot = x;
        }
        Ok(Value::Unspecified)
    }),
    prim!("utf8->string", 1, Some(3), |_, a| {
        let bytes = range("utf8->string", &a[0], a.get(1), a.get(2))?;
        match String::from_utf8(bytes) {
            Ok(s) => Ok(Value::str(s)),
            Err(_) => fail("utf8->string: the bytes are not valid UTF-8"),
        }
    }),
    prim!("string->utf8", 1, Some(3), |_, a| {
        let text = crate::strings::sub("string->utf8", &a[0], a.get(1), a.get(2))?;
        Ok(Bytevector::new(text.into_bytes()))
    }),
];
