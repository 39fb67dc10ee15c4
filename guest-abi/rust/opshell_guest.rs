//! The guest side of the opshell ABI, version 1 (see `guest-abi/ABI.md`).
//!
//! A shell implements [`Shell`] and exports itself with [`export_shell!`]; this library turns the
//! host's `opshell_init` / `opshell_step` calls into greeting, line and prompt callbacks, buffers
//! output so that each input line costs one `fd_write`, and wraps every host function in a typed call.
//! std only: shells are built with a bare `rustc --target wasm32-wasi`.

use std::fmt;

/// The ABI version this library speaks; exported by every shell as `opshell_abi_version`.
pub const ABI_VERSION: i32 = 1;

/// Longest input line a shell accepts by default; longer lines are dropped with an error.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

#[allow(dead_code)]
mod raw {
    #[link(wasm_import_module = "host")]
    extern "C" {
        pub fn add(delta: i64, out_total: i32) -> i32;
        pub fn sum(out_total: i32) -> i32;
        pub fn kv_get(key: i32, key_len: i32, out: i32, out_cap: i32) -> i32;
        pub fn kv_set(key: i32, key_len: i32, value: i32, value_len: i32) -> i32;
        pub fn kv_del(key: i32, key_len: i32) -> i32;
        pub fn kv_keys(prefix: i32, prefix_len: i32, out: i32, out_cap: i32) -> i32;
        pub fn whoami(out: i32, out_cap: i32) -> i32;
        pub fn call(name: i32, name_len: i32, arg: i32, arg_len: i32, out: i32, out_cap: i32) -> i32;
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        #[link_name = "fd_read"]
        pub fn wasi_fd_read(fd: i32, iovs: i32, iovs_len: i32, nread: i32) -> i32;
        #[link_name = "fd_write"]
        pub fn wasi_fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32) -> i32;
    }

    pub const ERRNO_AGAIN: i32 = 6;
}

/// A host function's failure: the negative codes of the ABI's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    NotFound,
    PermissionDenied,
    BadArgument,
    TooLarge,
    RateLimited,
    Quota,
    Internal,
    OutOfBounds,
    InvalidUtf8,
    /// A code this library does not know (a newer host).
    Unknown(i32),
}

impl Error {
    pub fn from_code(code: i32) -> Error {
        match code {
            -1 => Error::NotFound,
            -2 => Error::PermissionDenied,
            -3 => Error::BadArgument,
            -4 => Error::TooLarge,
            -5 => Error::RateLimited,
            -6 => Error::Quota,
            -7 => Error::Internal,
            -8 => Error::OutOfBounds,
            -9 => Error::InvalidUtf8,
            other => Error::Unknown(other),
        }
    }

    pub fn code(&self) -> i32 {
        match self {
            Error::NotFound => -1,
            Error::PermissionDenied => -2,
            Error::BadArgument => -3,
            Error::TooLarge => -4,
            Error::RateLimited => -5,
            Error::Quota => -6,
            Error::Internal => -7,
            Error::OutOfBounds => -8,
            Error::InvalidUtf8 => -9,
            Error::Unknown(code) => *code,
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            Error::NotFound => "not found",
            Error::PermissionDenied => "permission denied",
            Error::BadArgument => "bad argument",
            Error::TooLarge => "too large",
            Error::RateLimited => "rate limited, slow down",
            Error::Quota => "quota exceeded",
            Error::Internal => "internal error in the host",
            Error::OutOfBounds => "pointer out of bounds",
            Error::InvalidUtf8 => "invalid UTF-8",
            Error::Unknown(_) => "unknown error",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unknown(code) => write!(f, "unknown error (code {})", code),
            other => f.write_str(other.message()),
        }
    }
}

fn check(code: i32) -> Result<i32, Error> {
    if code < 0 {
        Err(Error::from_code(code))
    } else {
        Ok(code)
    }
}

fn ptr(bytes: &[u8]) -> i32 {
    bytes.as_ptr() as usize as i32
}

fn len(bytes: &[u8]) -> i32 {
    bytes.len() as i32
}

/// Calls a host function that fills `(out, cap)` and returns the full result length; grows the
/// buffer and asks again when the result did not fit (the host never truncates).
fn fetch(mut call: impl FnMut(i32, i32) -> i32) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; 4096];
    // The result can change between two calls (another operator writes); a few tries suffice.
    for _ in 0..8 {
        let n = check(call(buf.as_mut_ptr() as usize as i32, buf.len() as i32))? as usize;
        if n <= buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        buf.resize(n, 0);
    }
    Err(Error::Internal)
}

fn fetch_text(call: impl FnMut(i32, i32) -> i32) -> Result<String, Error> {
    String::from_utf8(fetch(call)?).map_err(|_| Error::InvalidUtf8)
}

/// Adds `delta` to the tenant's counter; returns the new total.
pub fn add(delta: i64) -> Result<i64, Error> {
    let mut total: i64 = 0;
    check(unsafe { raw::add(delta, &mut total as *mut i64 as usize as i32) })?;
    Ok(total)
}

/// The tenant's counter.
pub fn sum() -> Result<i64, Error> {
    let mut total: i64 = 0;
    check(unsafe { raw::sum(&mut total as *mut i64 as usize as i32) })?;
    Ok(total)
}

/// The value of `key`, or `None` when there is no such key.
pub fn kv_get(key: &str) -> Result<Option<String>, Error> {
    let k = key.as_bytes();
    match fetch_text(|out, cap| unsafe { raw::kv_get(ptr(k), len(k), out, cap) }) {
        Ok(value) => Ok(Some(value)),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn kv_set(key: &str, value: &str) -> Result<(), Error> {
    let (k, v) = (key.as_bytes(), value.as_bytes());
    check(unsafe { raw::kv_set(ptr(k), len(k), ptr(v), len(v)) }).map(|_| ())
}

/// Deletes `key`; false when there was no such key.
pub fn kv_del(key: &str) -> Result<bool, Error> {
    let k = key.as_bytes();
    match check(unsafe { raw::kv_del(ptr(k), len(k)) }) {
        Ok(_) => Ok(true),
        Err(Error::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Keys starting with `prefix`, sorted.
pub fn kv_keys(prefix: &str) -> Result<Vec<String>, Error> {
    let p = prefix.as_bytes();
    let text = fetch_text(|out, cap| unsafe { raw::kv_keys(ptr(p), len(p), out, cap) })?;
    Ok(if text.is_empty() { Vec::new() } else { text.split('\n').map(String::from).collect() })
}

/// Who this session is: `key=value` pairs separated by spaces (user, uid, role, tenant, shell).
pub fn whoami() -> Result<String, Error> {
    fetch_text(|out, cap| unsafe { raw::whoami(out, cap) })
}

/// Calls a probe the embedding application registered under `name`.
pub fn call(name: &str, arg: &str) -> Result<String, Error> {
    let (n, a) = (name.as_bytes(), arg.as_bytes());
    fetch_text(|out, cap| unsafe { raw::call(ptr(n), len(n), ptr(a), len(a), out, cap) })
}

/// Output is written out early once this much is buffered, so a step that prints a lot
/// cannot exhaust the shell's memory (the host caps what it forwards per step anyway).
const OUTPUT_FLUSH_BYTES: usize = 64 * 1024;

/// Output, sent to the operator with one `fd_write` per input line (or in 64 KiB pieces when a
/// line prints more).
#[derive(Default)]
pub struct Output {
    buf: Vec<u8>,
}

impl Output {
    pub fn text(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        if self.buf.len() >= OUTPUT_FLUSH_BYTES {
            self.flush();
        }
    }

    pub fn line(&mut self, s: &str) {
        self.text(s);
        self.buf.push(b'\n');
    }

    /// One line `error: <message>`: the form every opshell error takes.
    pub fn error(&mut self, message: &str) {
        self.text("error: ");
        self.line(message);
    }

    fn flush(&mut self) {
        io::emit(&self.buf);
        self.buf.clear();
    }
}

impl fmt::Write for Output {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text(s);
        Ok(())
    }
}

/// What a shell wants after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Close,
}

/// A line-oriented shell. The host may deliver input in any chunks; the reactor reassembles lines.
pub trait Shell {
    /// Written once when the session starts, before the first prompt.
    fn greet(&mut self, _out: &mut Output) {}
    /// Written after the greeting and after each line (empty for no prompt).
    fn prompt(&self) -> &str;
    /// One complete line, without its line terminator.
    fn line(&mut self, line: &str, out: &mut Output) -> Control;
    /// The operator's input ended (after the last line was delivered).
    fn end_of_input(&mut self, _out: &mut Output) {}
}

/// Drives a [`Shell`] from the host's `opshell_init` / `opshell_step` calls.
pub struct Reactor<S: Shell> {
    shell: S,
    pending: Vec<u8>,
    /// True while dropping the rest of an over-long line, up to its newline.
    discarding: bool,
    max_line: usize,
    out: Output,
}

impl<S: Shell> Reactor<S> {
    pub fn new(shell: S) -> Reactor<S> {
        Reactor { shell, pending: Vec::new(), discarding: false, max_line: DEFAULT_MAX_LINE, out: Output::default() }
    }

    pub fn init(&mut self) {
        self.shell.greet(&mut self.out);
        self.out.text(self.shell.prompt());
        self.out.flush();
    }

    /// Reads the `ready` bytes the host has, runs every complete line, writes the answers once.
    pub fn step(&mut self, ready: i32, eof: i32) -> i32 {
        let input = io::read(ready.max(0) as usize);
        let mut control = Control::Continue;
        let mut rest: &[u8] = &input;
        while control == Control::Continue && !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    self.push(&rest[..nl]);
                    rest = &rest[nl + 1..];
                    control = self.finish_line();
                }
                None => {
                    self.push(rest);
                    rest = &[];
                }
            }
        }
        if control == Control::Continue && eof != 0 {
            if !self.pending.is_empty() || self.discarding {
                control = self.finish_line();
            }
            if control == Control::Continue {
                self.shell.end_of_input(&mut self.out);
            }
            control = Control::Close;
        }
        self.out.flush();
        if control == Control::Close { 1 } else { 0 }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.discarding {
            return;
        }
        if self.pending.len() + bytes.len() > self.max_line {
            self.discarding = true;
            self.pending = Vec::new();
        } else {
            self.pending.extend_from_slice(bytes);
        }
    }

    fn finish_line(&mut self) -> Control {
        let mut raw = std::mem::take(&mut self.pending);
        let control = if std::mem::replace(&mut self.discarding, false) {
            self.out.error(&format!("line longer than {} bytes, ignored", self.max_line));
            Control::Continue
        } else {
            if raw.last() == Some(&b'\r') {
                raw.pop();
            }
            match String::from_utf8(raw) {
                Ok(line) => self.shell.line(&line, &mut self.out),
                Err(_) => {
                    self.out.error("input is not valid UTF-8, line ignored");
                    Control::Continue
                }
            }
        };
        if control == Control::Continue {
            self.out.text(self.shell.prompt());
        }
        // Each line's answer leaves now: if a later line in the same chunk traps, what was
        // already answered is not lost with the instance.
        self.out.flush();
        control
    }
}

/// How bytes cross between host and shell. With the shared buffers (`opshell_buffers`) the host
/// copies input into `IN_BUF` before a step and takes output from `OUT_BUF` after it (also after a
/// trap), so a step needs no `fd_read` and, unless its output overflows the buffer, no `fd_write`:
/// each avoided host crossing is several microseconds. Without them, WASI stdio is used.
mod io {
    use super::{ptr, raw};

    const IO_BUF: usize = 64 * 1024;
    static mut IN_BUF: [u8; IO_BUF] = [0; IO_BUF];
    static mut OUT_BUF: [u8; IO_BUF] = [0; IO_BUF];
    /// in_ptr, in_cap, out_ptr, out_cap, out_len: read by the host (ABI.md, "Shared buffers").
    static mut DESCRIPTOR: [u32; 5] = [0; 5];
    static mut BUFFERED: bool = false;

    /// Sets up the shared buffers and returns the descriptor's address.
    pub fn buffers() -> i32 {
        // Safety: one thread, one export at a time.
        unsafe {
            DESCRIPTOR = [IN_BUF.as_ptr() as u32, IO_BUF as u32, OUT_BUF.as_ptr() as u32, IO_BUF as u32, 0];
            BUFFERED = true;
            DESCRIPTOR.as_ptr() as usize as i32
        }
    }

    /// The `ready` bytes of input the host has for this step.
    pub fn read(ready: usize) -> Vec<u8> {
        // Safety: as above; the host put at most in_cap bytes in IN_BUF.
        unsafe {
            if BUFFERED {
                return IN_BUF[..ready.min(IO_BUF)].to_vec();
            }
        }
        read_stdin(ready)
    }

    /// Hands bytes to the operator: into OUT_BUF, or through fd_write when they do not fit.
    pub fn emit(bytes: &[u8]) {
        // Safety: as above.
        unsafe {
            if BUFFERED {
                let len = DESCRIPTOR[4] as usize;
                if len + bytes.len() <= IO_BUF {
                    OUT_BUF[len..len + bytes.len()].copy_from_slice(bytes);
                    DESCRIPTOR[4] = (len + bytes.len()) as u32;
                    return;
                }
                // Keep the order: what is buffered goes first.
                write_stdout(&OUT_BUF[..len]);
                DESCRIPTOR[4] = 0;
            }
        }
        write_stdout(bytes);
    }

    fn write_stdout(bytes: &[u8]) {
        let mut start = 0;
        while start < bytes.len() {
            let iov: [i32; 2] = [ptr(&bytes[start..]), (bytes.len() - start) as i32];
            let mut written: i32 = 0;
            let errno = unsafe { raw::wasi_fd_write(1, iov.as_ptr() as usize as i32, 1, &mut written as *mut i32 as usize as i32) };
            if errno != 0 || written <= 0 {
                break;
            }
            start += written as usize;
        }
    }

    fn read_stdin(ready: usize) -> Vec<u8> {
        let mut buf = vec![0u8; ready];
        let mut filled = 0;
        while filled < ready {
            let iov: [i32; 2] = [ptr(&buf[filled..]), (ready - filled) as i32];
            let mut n: i32 = 0;
            let errno = unsafe { raw::wasi_fd_read(0, iov.as_ptr() as usize as i32, 1, &mut n as *mut i32 as usize as i32) };
            if errno != 0 || n <= 0 {
                // EAGAIN (raw::ERRNO_AGAIN) or end of input: take what arrived.
                break;
            }
            filled += n as usize;
        }
        buf.truncate(filled);
        buf
    }
}

/// For `export_shell!`: sets up the shared input/output buffers.
#[doc(hidden)]
pub fn io_buffers() -> i32 {
    io::buffers()
}

/// Exports `opshell_abi_version`, `opshell_buffers`, `opshell_init` and `opshell_step` for a shell type.
/// Usage: `opshell_guest::export_shell!(MyShell, MyShell::new());`
#[macro_export]
macro_rules! export_shell {
    ($shell:ty, $make:expr) => {
        static mut OPSHELL_REACTOR: Option<$crate::Reactor<$shell>> = None;

        #[no_mangle]
        pub extern "C" fn opshell_abi_version() -> i32 {
            $crate::ABI_VERSION
        }

        #[no_mangle]
        pub extern "C" fn opshell_buffers() -> i32 {
            $crate::io_buffers()
        }

        #[no_mangle]
        pub extern "C" fn opshell_init() {
            // Safety: the host calls a shell from one thread, one export at a time.
            unsafe {
                OPSHELL_REACTOR = Some($crate::Reactor::new($make));
                if let Some(reactor) = OPSHELL_REACTOR.as_mut() {
                    reactor.init();
                }
            }
        }

        #[no_mangle]
        pub extern "C" fn opshell_step(ready: i32, eof: i32) -> i32 {
            // Safety: as in opshell_init.
            unsafe {
                if OPSHELL_REACTOR.is_none() {
                    OPSHELL_REACTOR = Some($crate::Reactor::new($make));
                }
                match OPSHELL_REACTOR.as_mut() {
                    Some(reactor) => reactor.step(ready, eof),
                    None => 1,
                }
            }
        }
    };
}
