//! Ports: string ports (open-input-string, open-output-string), bytevector ports
//! (open-input-bytevector, open-output-bytevector), the console output port and an
//! always-empty console input port, and the procedures that read and write through them. The
//! current output port is the interpreter's output parameter, so `with-output-to-string` and
//! `parameterize` of `current-output-port` redirect display, write and friends.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::builtins::{character, index, prim, string, type_error};
use crate::bytevectors::{byte, bytevector, Bytevector};
use crate::eval::{Interp, Primitive};
use crate::printer::{display_string, write_string, write_string_shared};
use crate::reader::{read, Read};
use crate::value::{check_mutable, fail, reserve, Value, R};

pub enum PortKind {
    /// Characters of a string being read, and the position of the next one.
    Input { text: Vec<char>, pos: Cell<usize> },
    Output(RefCell<String>),
    InputBytes { bytes: Vec<u8>, pos: Cell<usize> },
    OutputBytes(RefCell<Vec<u8>>),
    /// The operator's terminal: output goes with the line's answer.
    Console,
    /// Nothing to read: the shell's input is the operator's code.
    ConsoleInput,
}

pub struct Port {
    pub kind: PortKind,
    pub open: Cell<bool>,
}

impl Port {
    pub fn new(kind: PortKind) -> Rc<Port> {
        Rc::new(Port { kind, open: Cell::new(true) })
    }

    fn is_input(&self) -> bool {
        matches!(self.kind, PortKind::Input { .. } | PortKind::InputBytes { .. } | PortKind::ConsoleInput)
    }

    fn is_binary(&self) -> bool {
        matches!(self.kind, PortKind::InputBytes { .. } | PortKind::OutputBytes(_))
    }
}

pub static PRIMS: &[Primitive] = &[
    prim!("open-input-string", 1, Some(1), |_, a| {
        let text: Vec<char> = string("open-input-string", &a[0])?.chars().collect();
        Ok(Value::Port(Port::new(PortKind::Input { text, pos: Cell::new(0) })))
    }),
    prim!("open-output-string", 0, Some(0), |_, _| Ok(Value::Port(Port::new(PortKind::Output(RefCell::new(String::new())))))),
    prim!("get-output-string", 1, Some(1), |_, a| match &a[0] {
        Value::Port(p) => match &p.kind {
            PortKind::Output(buf) => Ok(Value::str(buf.borrow().clone())),
            _ => type_error("get-output-string", "a string output port", &a[0]),
        },
        other => type_error("get-output-string", "a string output port", other),
    }),
    prim!("current-output-port", 0, Some(0), |i, _| Ok(i.output.value.borrow().clone())),
    prim!("current-error-port", 0, Some(0), |i, _| Ok(i.output.value.borrow().clone())),
    prim!("current-input-port", 0, Some(0), |_, _| Ok(Value::Port(Port::new(PortKind::ConsoleInput)))),
    prim!("%output-parameter", 0, Some(0), |i, _| Ok(Value::Param(i.output.clone()))),
    prim!("port?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Port(_))))),
    prim!("input-port?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Port(p) if p.is_input())))),
    prim!("output-port?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Port(p) if !p.is_input())))),
    prim!("textual-port?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Port(p) if !p.is_binary())))),
    prim!("binary-port?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Port(p) if p.is_binary())))),
    prim!("open-input-bytevector", 1, Some(1), |_, a| {
        let bytes = bytevector("open-input-bytevector", &a[0])?.bytes.borrow().clone();
        Ok(Value::Port(Port::new(PortKind::InputBytes { bytes, pos: Cell::new(0) })))
    }),
    prim!("open-output-bytevector", 0, Some(0), |_, _| Ok(Value::Port(Port::new(PortKind::OutputBytes(RefCell::new(Vec::new())))))),
    prim!("get-output-bytevector", 1, Some(1), |_, a| match &a[0] {
        Value::Port(p) => match &p.kind {
            PortKind::OutputBytes(buf) => Ok(Bytevector::new(buf.borrow().clone())),
            _ => type_error("get-output-bytevector", "a bytevector output port", &a[0]),
        },
        other => type_error("get-output-bytevector", "a bytevector output port", other),
    }),
    prim!("read-u8", 0, Some(1), |_, a| next_byte("read-u8", a.get(0), true)),
    prim!("peek-u8", 0, Some(1), |_, a| next_byte("peek-u8", a.get(0), false)),
    prim!("u8-ready?", 0, Some(1), |_, a| {
        binary_input("u8-ready?", a.get(0))?;
        Ok(Value::Bool(true))
    }),
    prim!("read-bytevector", 1, Some(2), |_, a| {
        let k = index("read-bytevector", &a[0])?;
        let (bytes, pos) = binary_input("read-bytevector", a.get(1))?;
        let start = pos.get();
        if start >= bytes.len() && k > 0 {
            return Ok(Value::Eof);
        }
        let end = (start + k).min(bytes.len());
        pos.set(end);
        Ok(Bytevector::new(bytes[start..end].to_vec()))
    }),
    prim!("read-bytevector!", 1, Some(4), |_, a| {
        check_mutable("read-bytevector!", &a[0])?;
        let target = bytevector("read-bytevector!", &a[0])?;
        let (bytes, pos) = binary_input("read-bytevector!", a.get(1))?;
        let len = target.bytes.borrow().len();
        let (start, end) = crate::vectors::bounds("read-bytevector!", "bytevector", len, a.get(2), a.get(3))?;
        let from = pos.get();
        if from >= bytes.len() && end > start {
            return Ok(Value::Eof);
        }
        let n = (end - start).min(bytes.len() - from);
        target.bytes.borrow_mut()[start..start + n].copy_from_slice(&bytes[from..from + n]);
        pos.set(from + n);
        Ok(Value::Int(n as i64))
    }),
    prim!("write-u8", 1, Some(2), |i, a| {
        let b = byte("write-u8", &a[0])?;
        put_bytes(i, a.get(1), &[b])
    }),
    prim!("write-bytevector", 1, Some(4), |i, a| {
        let bytes = crate::bytevectors::range("write-bytevector", &a[0], a.get(2), a.get(3))?;
        put_bytes(i, a.get(1), &bytes)
    }),
    prim!("input-port-open?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Port(p) if p.is_input() && p.open.get())))),
    prim!("output-port-open?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(&a[0], Value::Port(p) if !p.is_input() && p.open.get())))),
    prim!("close-port", 1, Some(1), close),
    prim!("close-input-port", 1, Some(1), close),
    prim!("close-output-port", 1, Some(1), close),
    prim!("eof-object", 0, Some(0), |_, _| Ok(Value::Eof)),
    prim!("eof-object?", 1, Some(1), |_, a| Ok(Value::Bool(matches!(a[0], Value::Eof)))),
    prim!("read-char", 0, Some(1), |_, a| next_char("read-char", a.get(0), true)),
    prim!("peek-char", 0, Some(1), |_, a| next_char("peek-char", a.get(0), false)),
    prim!("char-ready?", 0, Some(1), |_, a| {
        input("char-ready?", a.get(0))?;
        Ok(Value::Bool(true))
    }),
    prim!("read-line", 0, Some(1), |_, a| {
        let (text, pos) = match input("read-line", a.get(0))? {
            Some(x) => x,
            None => return Ok(Value::Eof),
        };
        let start = pos.get();
        if start >= text.len() {
            return Ok(Value::Eof);
        }
        let end = text[start..].iter().position(|&c| c == '\n').map_or(text.len(), |n| start + n);
        pos.set((end + 1).min(text.len()));
        let mut line: String = text[start..end].iter().collect();
        if line.ends_with('\r') {
            line.pop();
        }
        Ok(Value::str(line))
    }),
    prim!("read-string", 1, Some(2), |_, a| {
        // R7RS order (read-string k [port]); the older (read-string port k) is accepted too.
        let (k, port) = match (&a[0], a.get(1)) {
            (Value::Port(_), Some(k)) => (k, Some(&a[0])),
            (k, port) => (k, port),
        };
        let k = index("read-string", k)?;
        let (text, pos) = match input("read-string", port)? {
            Some(x) => x,
            None => return Ok(Value::Eof),
        };
        let start = pos.get();
        if start >= text.len() && k > 0 {
            return Ok(Value::Eof);
        }
        let end = (start + k).min(text.len());
        pos.set(end);
        Ok(Value::str(text[start..end].iter().collect::<String>()))
    }),
    prim!("read", 0, Some(1), |_, a| {
        let (text, pos) = match input("read", a.get(0))? {
            Some(x) => x,
            None => return Ok(Value::Eof),
        };
        let rest: String = text[pos.get().min(text.len())..].iter().collect();
        match read(&rest, 0) {
            Read::Datum(datum, end) => {
                pos.set(pos.get() + rest[..end].chars().count());
                Ok(datum)
            }
            Read::Nothing => {
                pos.set(text.len());
                Ok(Value::Eof)
            }
            Read::Incomplete => fail("read: the port ends inside a datum"),
            Read::Error(message) => fail(format!("read: {}", message)),
        }
    }),
    prim!("display", 1, Some(2), |i, a| put(i, a.get(1), &display_string(&a[0]))),
    prim!("write", 1, Some(2), |i, a| put(i, a.get(1), &write_string(&a[0]))),
    prim!("write-shared", 1, Some(2), |i, a| put(i, a.get(1), &write_string_shared(&a[0]))),
    prim!("write-simple", 1, Some(2), |i, a| put(i, a.get(1), &write_string(&a[0]))),
    prim!("newline", 0, Some(1), |i, a| put(i, a.get(0), "\n")),
    prim!("write-string", 1, Some(4), |i, a| {
        let text = crate::strings::sub("write-string", &a[0], a.get(2), a.get(3))?;
        put(i, a.get(1), &text)
    }),
    prim!("write-char", 1, Some(2), |i, a| {
        let c = character("write-char", &a[0])?;
        put(i, a.get(1), c.encode_utf8(&mut [0; 4]))
    }),
    prim!("flush-output-port", 0, Some(1), |_, _| Ok(Value::Unspecified)),
];

fn close(_: &mut Interp, a: &[Value]) -> R<Value> {
    match &a[0] {
        Value::Port(p) => {
            p.open.set(false);
            Ok(Value::Unspecified)
        }
        other => type_error("close-port", "a port", other),
    }
}

/// Writes `text` to the port argument, or to the current output port.
pub fn put(interp: &mut Interp, port: Option<&Value>, text: &str) -> R<Value> {
    let port = match port {
        Some(p) => p.clone(),
        None => interp.output.value.borrow().clone(),
    };
    match &port {
        Value::Port(p) if p.open.get() => match &p.kind {
            PortKind::Console => interp.emit(text)?,
            PortKind::Output(buf) => {
                reserve(text.len())?;
                buf.borrow_mut().push_str(text);
            }
            _ => return type_error("write", "an output port", &port),
        },
        Value::Port(_) => return fail("write: the port is closed"),
        other => return type_error("write", "an output port", other),
    }
    Ok(Value::Unspecified)
}

/// The text and position of an input port (None: the console, always at its end).
fn input<'a>(who: &str, port: Option<&'a Value>) -> R<Option<(&'a [char], &'a Cell<usize>)>> {
    match port {
        None => Ok(None),
        Some(Value::Port(p)) => match &p.kind {
            PortKind::Input { text, pos } if p.open.get() => Ok(Some((text, pos))),
            PortKind::ConsoleInput => Ok(None),
            PortKind::Input { .. } => fail(format!("{}: the port is closed", who)),
            _ => type_error(who, "an input port", port.unwrap_or(&Value::Nil)),
        },
        Some(other) => type_error(who, "an input port", other),
    }
}

/// Writes bytes to a bytevector output port.
fn put_bytes(interp: &mut Interp, port: Option<&Value>, bytes: &[u8]) -> R<Value> {
    let port = match port {
        Some(p) => p.clone(),
        None => interp.output.value.borrow().clone(),
    };
    match &port {
        Value::Port(p) if p.open.get() => match &p.kind {
            PortKind::OutputBytes(buf) => {
                reserve(bytes.len())?;
                buf.borrow_mut().extend_from_slice(bytes);
                Ok(Value::Unspecified)
            }
            _ => type_error("write-u8", "a binary output port", &port),
        },
        Value::Port(_) => fail("write-u8: the port is closed"),
        other => type_error("write-u8", "a binary output port", other),
    }
}

fn binary_input<'a>(who: &str, port: Option<&'a Value>) -> R<(&'a [u8], &'a Cell<usize>)> {
    match port {
        Some(Value::Port(p)) => match &p.kind {
            PortKind::InputBytes { bytes, pos } if p.open.get() => Ok((bytes, pos)),
            PortKind::InputBytes { .. } => fail(format!("{}: the port is closed", who)),
            _ => type_error(who, "a binary input port", port.unwrap_or(&Value::Nil)),
        },
        Some(other) => type_error(who, "a binary input port", other),
        None => fail(format!("{}: the console is not a binary port; give a port", who)),
    }
}

fn next_byte(who: &str, port: Option<&Value>, consume: bool) -> R<Value> {
    let (bytes, pos) = binary_input(who, port)?;
    match bytes.get(pos.get()) {
        Some(&b) => {
            if consume {
                pos.set(pos.get() + 1);
            }
            Ok(Value::Int(b as i64))
        }
        None => Ok(Value::Eof),
    }
}

fn next_char(who: &str, port: Option<&Value>, consume: bool) -> R<Value> {
    let (text, pos) = match input(who, port)? {
        Some(x) => x,
        None => return Ok(Value::Eof),
    };
    match text.get(pos.get()) {
        Some(&c) => {
            if consume {
                pos.set(pos.get() + 1);
            }
            Ok(Value::Char(c))
        }
        None => Ok(Value::Eof),
    }
}
