//! The guest side of the opshell ABI, version 2 (see `guest-abi/ABI.md`).
//!
//! A shell implements [`Shell`] and exports itself with [`export_shell!`]; this library turns the
//! host's `opshell_init` / `opshell_step` calls into greeting, line and prompt callbacks, hands
//! output over in the shared buffers with one answer mark per input line, and wraps every host
//! function in a typed call whose error carries the host's message.
//! std only: shells are built with a bare `rustc --target wasm32-wasi`.

use std::fmt;

/// The ABI version this library speaks; exported by every shell as `opshell_abi_version`.
pub const ABI_VERSION: i32 = 2;

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
        pub fn interrupted() -> i32;
        pub fn fields(prefix: i32, prefix_len: i32, out: i32, out_cap: i32) -> i32;
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

/// What kind of failure a host function reported: the negative codes of the ABI's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    PermissionDenied,
    BadArgument,
    TooLarge,
    RateLimited,
    Quota,
    Internal,
    OutOfBounds,
    InvalidUtf8,
    Unavailable,
    Rejected,
    /// A code this library does not know (a newer host).
    Unknown(i32),
}

impl ErrorKind {
    pub fn from_code(code: i32) -> ErrorKind {
        match code {
            -1 => ErrorKind::NotFound,
            -2 => ErrorKind::PermissionDenied,
            -3 => ErrorKind::BadArgument,
            -4 => ErrorKind::TooLarge,
            -5 => ErrorKind::RateLimited,
            -6 => ErrorKind::Quota,
            -7 => ErrorKind::Internal,
            -8 => ErrorKind::OutOfBounds,
            -9 => ErrorKind::InvalidUtf8,
            -10 => ErrorKind::Unavailable,
            -11 => ErrorKind::Rejected,
            other => ErrorKind::Unknown(other),
        }
    }

    pub fn code(&self) -> i32 {
        match self {
            ErrorKind::NotFound => -1,
            ErrorKind::PermissionDenied => -2,
            ErrorKind::BadArgument => -3,
            ErrorKind::TooLarge => -4,
            ErrorKind::RateLimited => -5,
            ErrorKind::Quota => -6,
            ErrorKind::Internal => -7,
            ErrorKind::OutOfBounds => -8,
            ErrorKind::InvalidUtf8 => -9,
            ErrorKind::Unavailable => -10,
            ErrorKind::Rejected => -11,
            ErrorKind::Unknown(code) => *code,
        }
    }

    /// The generic wording, used when the host gave no message.
    pub fn description(&self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::BadArgument => "bad argument",
            ErrorKind::TooLarge => "too large",
            ErrorKind::RateLimited => "rate limited, slow down",
            ErrorKind::Quota => "quota exceeded",
            ErrorKind::Internal => "internal error in the host",
            ErrorKind::OutOfBounds => "pointer out of bounds",
            ErrorKind::InvalidUtf8 => "invalid UTF-8",
            ErrorKind::Unavailable => "unavailable; nothing was changed",
            ErrorKind::Rejected => "rejected by the application",
            ErrorKind::Unknown(_) => "unknown error",
        }
    }
}

/// A host function's failure: its kind and the host's one-line message (ABI.md, "Error
/// messages"), e.g. `tenant payments is full (268435456 of 268435456 bytes)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The host's message; empty when it sent none.
    pub message: String,
}

impl Error {
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.message.is_empty() {
            f.write_str(&self.message)
        } else if let ErrorKind::Unknown(code) = self.kind {
            write!(f, "unknown error (code {})", code)
        } else {
            f.write_str(self.kind.description())
        }
    }
}

fn check(code: i32) -> Result<i32, Error> {
    if code >= 0 {
        return Ok(code);
    }
    // Reading the message is a copy from the shell's own memory, not a host call.
    Err(Error { kind: ErrorKind::from_code(code), message: io::error_message() })
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
    Err(Error { kind: ErrorKind::Internal, message: "the result kept changing size; try again".to_string() })
}

fn fetch_text(call: impl FnMut(i32, i32) -> i32) -> Result<String, Error> {
    String::from_utf8(fetch(call)?).map_err(|_| Error { kind: ErrorKind::InvalidUtf8, message: String::new() })
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
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
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
        Err(e) if e.is(ErrorKind::NotFound) => Ok(false),
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

/// One field or action the application declares (ABI.md, `fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    /// `long`, `string`, `enum(a|b)`, … or `action`.
    pub kind: String,
    /// `read-only`, `read-write`, or `call` for an action.
    pub access: String,
    /// The role needed to change it (or to call the action).
    pub role: String,
    pub doc: String,
}

/// The application's fields and actions whose names start with `prefix`, sorted.
pub fn fields(prefix: &str) -> Result<Vec<FieldInfo>, Error> {
    let p = prefix.as_bytes();
    let text = fetch_text(|out, cap| unsafe { raw::fields(ptr(p), len(p), out, cap) })?;
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.splitn(5, '\t').map(String::from);
            let mut next = || parts.next().unwrap_or_default();
            FieldInfo { name: next(), kind: next(), access: next(), role: next(), doc: next() }
        })
        .collect())
}

/// Runs the action the embedding application declared under `name`.
pub fn call(name: &str, arg: &str) -> Result<String, Error> {
    let (n, a) = (name.as_bytes(), arg.as_bytes());
    fetch_text(|out, cap| unsafe { raw::call(ptr(n), len(n), ptr(a), len(a), out, cap) })
}

/// Whether the host asks the running step to stop (its soft CPU deadline passed, or the operator
/// cancelled), and why: e.g. `interrupted (CPU limit of 1000 ms)`. One host call; a long-running
/// evaluator polls it every few thousand steps, stops, reports the message as an error and keeps
/// its state. Once it has answered `Some`, the reactor runs no further lines in this step.
pub fn interrupted() -> Option<String> {
    if unsafe { raw::interrupted() } == 0 {
        return None;
    }
    io::set_interrupted();
    let message = io::error_message();
    Some(if message.is_empty() { "interrupted".to_string() } else { message })
}

/// The session's guest memory limit in bytes (the most this shell may grow to), when the host said.
pub fn memory_limit() -> Option<usize> {
    io::memory_limit_kib().map(|kib| kib.saturating_mul(1024))
}

/// The session's CPU limit per step in milliseconds, when the host said.
pub fn step_millis() -> Option<u32> {
    io::step_millis()
}

/// Output is written out early once this much is buffered, so a step that prints a lot
/// cannot exhaust the shell's memory (the host caps what it forwards per step anyway).
const OUTPUT_FLUSH_BYTES: usize = 64 * 1024;

/// Output, sent to the operator with one `fd_write` per input line (or in 64 KiB pieces when a
/// line prints more).
#[derive(Default)]
pub struct Output {
    buf: Vec<u8>,
    /// Whether the current line's answer contains an `error:` line (its mark says so).
    failed: bool,
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
        self.failed = true;
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
    /// True while the shell holds an incomplete input (a Scheme expression spanning lines): the
    /// line just given is then marked as awaiting more, not as answered.
    fn awaiting_more(&self) -> bool {
        false
    }
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

/// Status of one input line's answer in its mark (ABI.md, "Answer marks").
const MARK_OK: u32 = 0;
const MARK_ERROR: u32 = 1;
const MARK_MORE: u32 = 2;

impl<S: Shell> Reactor<S> {
    pub fn new(shell: S) -> Reactor<S> {
        Reactor { shell, pending: Vec::new(), discarding: false, max_line: DEFAULT_MAX_LINE, out: Output::default() }
    }

    pub fn init(&mut self) {
        io::begin_call();
        self.shell.greet(&mut self.out);
        self.out.text(self.shell.prompt());
        self.out.flush();
    }

    /// Reads the `ready` bytes the host has and runs every complete line, each answer handed over
    /// (with its mark) as soon as it is made. After an interruption the remaining lines are not
    /// run: the host sees they have no mark and tells the operator.
    pub fn step(&mut self, ready: i32, eof: i32) -> i32 {
        io::begin_call();
        let input = io::read(ready.max(0) as usize);
        let mut control = Control::Continue;
        let mut rest: &[u8] = &input;
        while control == Control::Continue && !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    self.push(&rest[..nl]);
                    rest = &rest[nl + 1..];
                    control = self.finish_line();
                    if io::was_interrupted() {
                        rest = &[];
                    }
                }
                None => {
                    self.push(rest);
                    rest = &[];
                }
            }
        }
        if control == Control::Continue && eof != 0 && !io::was_interrupted() {
            if !self.pending.is_empty() || self.discarding {
                control = self.finish_line();
            }
            if control == Control::Continue {
                let start = self.position();
                self.shell.end_of_input(&mut self.out);
                if self.position() > start {
                    self.mark(start, self.position());
                }
            }
            control = Control::Close;
        }
        self.out.flush();
        if control == Control::Close { 1 } else { 0 }
    }

    /// Bytes handed to the host in this call so far, counting what is still buffered in `out`.
    fn position(&self) -> u32 {
        io::emitted().wrapping_add(self.out.buf.len() as u32)
    }

    fn mark(&mut self, start: u32, end: u32) {
        let status = if std::mem::replace(&mut self.out.failed, false) {
            MARK_ERROR
        } else if self.shell.awaiting_more() {
            MARK_MORE
        } else {
            MARK_OK
        };
        io::mark(start, end, status);
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
        self.out.failed = false;
        let start = self.position();
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
        let end = self.position();
        if control == Control::Continue {
            self.out.text(self.shell.prompt());
        }
        // Each line's answer leaves now: if a later line in the same chunk traps, what was
        // already answered is not lost with the instance. The mark follows its bytes.
        self.out.flush();
        self.mark(start, end);
        control
    }
}

/// How bytes cross between host and shell. With the shared buffers (`opshell_buffers`) the host
/// copies input into `IN_BUF` before a step and takes output from `OUT_BUF` after it (also after a
/// trap), so a step needs no `fd_read` and, unless its output overflows the buffer, no `fd_write`:
/// each avoided host crossing is several microseconds. Without them, WASI stdio is used. The
/// descriptor also carries the answer marks, the host's error messages and the session's limits.
mod io {
    use super::{ptr, raw};

    /// Each shared buffer; small, because an idle session's memory is mostly these (ABI.md).
    const IO_BUF: usize = 16 * 1024;
    /// Answer marks one call may leave; the host gives at most this many lines per call.
    const MARKS: usize = 256;
    /// Room for the host's message about a failed call.
    const ERR_BUF: usize = 1024;
    static mut IN_BUF: [u8; IO_BUF] = [0; IO_BUF];
    static mut OUT_BUF: [u8; IO_BUF] = [0; IO_BUF];
    static mut MARK_BUF: [u32; 3 * MARKS] = [0; 3 * MARKS];
    static mut ERR: [u8; ERR_BUF] = [0; ERR_BUF];

    // Descriptor fields, u32 each (ABI.md, "Shared buffers"): the guest fills the pointers and
    // capacities; the host reads and resets OUT_LEN and MARKS_LEN after every call, writes ERR_LEN
    // with each error message, and writes the limits before the first call.
    const IN_PTR: usize = 0;
    const IN_CAP: usize = 1;
    const OUT_PTR: usize = 2;
    const OUT_CAP: usize = 3;
    const OUT_LEN: usize = 4;
    const MARKS_PTR: usize = 5;
    const MARKS_CAP: usize = 6;
    const MARKS_LEN: usize = 7;
    const ERR_PTR: usize = 8;
    const ERR_CAP: usize = 9;
    const ERR_LEN: usize = 10;
    const MEMORY_LIMIT_KIB: usize = 11;
    const STEP_MS: usize = 12;
    const FIELDS: usize = 13;
    static mut DESCRIPTOR: [u32; FIELDS] = [0; FIELDS];
    static mut BUFFERED: bool = false;
    /// Bytes handed to the host since the current call began (marks count in these).
    static mut EMITTED: u32 = 0;
    static mut INTERRUPTED: bool = false;

    /// Sets up the shared buffers and returns the descriptor's address.
    pub fn buffers() -> i32 {
        // Safety: one thread, one export at a time.
        unsafe {
            DESCRIPTOR[IN_PTR] = IN_BUF.as_ptr() as u32;
            DESCRIPTOR[IN_CAP] = IO_BUF as u32;
            DESCRIPTOR[OUT_PTR] = OUT_BUF.as_ptr() as u32;
            DESCRIPTOR[OUT_CAP] = IO_BUF as u32;
            DESCRIPTOR[MARKS_PTR] = MARK_BUF.as_ptr() as u32;
            DESCRIPTOR[MARKS_CAP] = MARKS as u32;
            DESCRIPTOR[ERR_PTR] = ERR.as_ptr() as u32;
            DESCRIPTOR[ERR_CAP] = ERR_BUF as u32;
            BUFFERED = true;
            DESCRIPTOR.as_ptr() as usize as i32
        }
    }

    /// Called at the start of every export the host calls.
    pub fn begin_call() {
        unsafe {
            EMITTED = 0;
            INTERRUPTED = false;
        }
    }

    pub fn emitted() -> u32 {
        unsafe { EMITTED }
    }

    pub fn set_interrupted() {
        unsafe { INTERRUPTED = true }
    }

    pub fn was_interrupted() -> bool {
        unsafe { INTERRUPTED }
    }

    /// Records that the answer to one input line is bytes `[start, end)` of this call's output.
    pub fn mark(start: u32, end: u32, status: u32) {
        unsafe {
            if !BUFFERED {
                return;
            }
            let n = DESCRIPTOR[MARKS_LEN] as usize;
            if n < MARKS {
                MARK_BUF[3 * n] = start;
                MARK_BUF[3 * n + 1] = end;
                MARK_BUF[3 * n + 2] = status;
                DESCRIPTOR[MARKS_LEN] = (n + 1) as u32;
            }
        }
    }

    /// The host's message about the last failed call (empty without shared buffers).
    pub fn error_message() -> String {
        unsafe {
            if !BUFFERED {
                return String::new();
            }
            let n = (DESCRIPTOR[ERR_LEN] as usize).min(ERR_BUF);
            String::from_utf8_lossy(&ERR[..n]).into_owned()
        }
    }

    pub fn memory_limit_kib() -> Option<usize> {
        unsafe {
            match DESCRIPTOR[MEMORY_LIMIT_KIB] {
                0 => None,
                kib => Some(kib as usize),
            }
        }
    }

    pub fn step_millis() -> Option<u32> {
        unsafe {
            match DESCRIPTOR[STEP_MS] {
                0 => None,
                ms => Some(ms),
            }
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
            EMITTED = EMITTED.wrapping_add(bytes.len() as u32);
            if BUFFERED {
                let len = DESCRIPTOR[OUT_LEN] as usize;
                if len + bytes.len() <= IO_BUF {
                    OUT_BUF[len..len + bytes.len()].copy_from_slice(bytes);
                    DESCRIPTOR[OUT_LEN] = (len + bytes.len()) as u32;
                    return;
                }
                // Keep the order: what is buffered goes first.
                write_stdout(&OUT_BUF[..len]);
                DESCRIPTOR[OUT_LEN] = 0;
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
