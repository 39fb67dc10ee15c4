//! `scheme`: a Scheme REPL over the shared state. Expressions may span lines (the prompt turns
//! into `...>` while one is incomplete); every complete expression on a line is evaluated and
//! its value printed in `write` form. Errors print one `error: ...` line and leave the session
//! and its definitions intact.
//!
//! When the host asks a step to stop (its CPU deadline, or the operator's cancel), the running
//! evaluation unwinds, the line answers `error: interrupted ...`, and every definition made
//! before stays.
//!
//! Modules: `reader` (text to data), `compile` (data to a node tree with resolved variables),
//! `syntax` (syntax-rules), `derived` (derived forms), `eval` (the evaluator, an explicit-stack
//! machine with the control features), `printer`, `value` (data types, memory accounting), the
//! primitive families `numbers`, `lists`, `strings`, `vectors`, `bytevectors`, `tables` (hash
//! tables), `ports`,
//! `objects` (records, promises, parameters), `host` (state bindings), `builtins` (lookup,
//! errors, argument helpers), `library` (procedures written in Scheme) and `help`.

mod builtins;
mod bytevectors;
mod compile;
mod derived;
mod eval;
mod help;
mod host;
mod library;
mod lists;
mod numbers;
mod objects;
mod ports;
mod printer;
mod reader;
mod strings;
mod syntax;
mod tables;
mod value;
mod vectors;

use opshell_guest::{Control, Output, Shell};

use crate::eval::Interp;
use crate::reader::Read;
use crate::value::{cons, Error, Value};

const PROMPT: &str = "scheme> ";
const CONTINUATION_PROMPT: &str = "...> ";
/// Longest expression the REPL buffers while waiting for it to complete.
const MAX_PENDING: usize = 1024 * 1024;
/// The guest's declared memory maximum (wasm.conf's max_memory).
const DECLARED_MAX_MEMORY: usize = 64 * 1024 * 1024;

struct Scheme {
    interp: Interp,
    /// Input of an expression not yet complete.
    pending: String,
    /// Whether the operator's terminal is at the start of a line.
    at_line_start: bool,
}

impl Scheme {
    fn new() -> Scheme {
        value::set_memory_limit(opshell_guest::memory_limit(), DECLARED_MAX_MEMORY);
        Scheme { interp: Interp::new(), pending: String::new(), at_line_start: true }
    }

    /// `help`, `exit` or `quit` typed without parentheses: operators mean the command, so it is
    /// called (as long as the name still holds the built-in procedure).
    fn command_word(&mut self, datum: &Value) -> Option<Value> {
        let name = match datum {
            Value::Sym(s) if matches!(s.name(), "help" | "exit" | "quit") => s.name(),
            _ => return None,
        };
        match self.interp.globals.get(name) {
            Some(Value::Prim(p)) if p.name == name => Some(datum.clone()),
            _ => None,
        }
    }

    /// Moves what the program displayed to the operator.
    fn flush(&mut self, out: &mut Output) {
        if !self.interp.out.is_empty() {
            let text = std::mem::take(&mut self.interp.out);
            self.at_line_start = text.ends_with('\n');
            out.text(&text);
        }
    }

    fn fresh_line(&mut self, out: &mut Output) {
        self.flush(out);
        if !self.at_line_start {
            out.text("\n");
            self.at_line_start = true;
        }
    }

    /// Evaluates one top-level datum and prints its value or error. `Err` when the host asked
    /// the step to stop: the rest of the line is not run.
    fn evaluate(&mut self, datum: &Value, out: &mut Output) -> Result<Control, ()> {
        let call;
        let datum = match self.command_word(datum) {
            Some(word) => {
                call = cons(word, Value::Nil);
                &call
            }
            None => datum,
        };
        let result = self.interp.eval_toplevel(datum);
        match result {
            Ok(Value::Unspecified) => self.flush(out),
            Ok(Value::Values(values)) => {
                self.fresh_line(out);
                for v in &values.0 {
                    out.line(&printer::write_string(v));
                }
            }
            Ok(v) => {
                self.fresh_line(out);
                out.line(&printer::write_string(&v));
            }
            Err(Error::Raise(condition)) => {
                self.fresh_line(out);
                out.error(&builtins::report(&condition));
            }
            Err(Error::Exit) => {
                self.fresh_line(out);
                out.line("bye");
                return Ok(Control::Close);
            }
            Err(Error::Interrupt(message)) => {
                self.fresh_line(out);
                out.error(&message);
                return Err(());
            }
        }
        Ok(Control::Continue)
    }
}

impl Shell for Scheme {
    fn greet(&mut self, out: &mut Output) {
        out.line("scheme shell; (help) lists what exists, (exit) or ,q leaves");
    }

    fn prompt(&self) -> &str {
        if self.pending.is_empty() {
            PROMPT
        } else {
            CONTINUATION_PROMPT
        }
    }

    fn line(&mut self, line: &str, out: &mut Output) -> Control {
        self.interp.out_total = 0;
        self.at_line_start = true;
        let command = line.trim();
        if command == ",q" || command == ",quit" {
            self.pending.clear();
            out.line("bye");
            return Control::Close;
        }
        if self.pending.len() + line.len() >= MAX_PENDING {
            self.pending.clear();
            out.error(&format!("expression longer than {} bytes; discarded", MAX_PENDING));
            return Control::Continue;
        }
        self.pending.push_str(line);
        self.pending.push('\n');
        let mut pos = 0;
        let control = loop {
            match reader::read(&self.pending, pos) {
                Read::Datum(datum, end) => {
                    pos = end;
                    match self.evaluate(&datum, out) {
                        Ok(Control::Continue) => {}
                        Ok(Control::Close) => break Control::Close,
                        Err(()) => {
                            self.pending.clear();
                            break Control::Continue;
                        }
                    }
                }
                Read::Nothing => {
                    self.pending.clear();
                    break Control::Continue;
                }
                Read::Incomplete => {
                    self.pending.drain(..pos);
                    break Control::Continue;
                }
                Read::Error(message) => {
                    self.pending.clear();
                    self.fresh_line(out);
                    out.error(&format!("read: {} (the rest of the input was discarded)", message));
                    break Control::Continue;
                }
            }
        };
        if control == Control::Close {
            self.pending.clear();
        }
        self.fresh_line(out);
        control
    }

    fn awaiting_more(&self) -> bool {
        !self.pending.is_empty()
    }

    fn end_of_input(&mut self, out: &mut Output) {
        out.text("\n");
        if !self.pending.trim().is_empty() {
            out.error("incomplete expression at end of input");
        }
    }
}

opshell_guest::export_shell!(Scheme, Scheme::new());
