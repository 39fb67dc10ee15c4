//! `kv`: a command shell over the shared state. One command per line, plain-text answers,
//! errors as one `error: ...` line. Each command makes at most one state call to the host.

use opshell_guest::{self as host, Control, Error, ErrorKind, Output, Shell};

const HELP: &str = "\
commands:
  add N            add integer N to the counter, print the new total
  sum              print the counter
  set NAME VALUE   store VALUE (the rest of the line) under key NAME, or set field NAME
  get NAME         print the value of key or field NAME
  del KEY          delete KEY
  keys [PREFIX]    list keys (starting with PREFIX), one per line
  fields [PREFIX]  list the application's fields and actions: type, access, role needed, doc
  call NAME [ARG]  run the application's action NAME
  whoami           who you are to the host: user, role, tenant
  help             this list
  quit             close the session";

struct Kv;

/// Splits off the first whitespace-separated word; the rest keeps its inner spacing.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Exactly one word, or the usage message as an error.
fn one_word<'a>(args: &'a str, usage: &str) -> Result<&'a str, String> {
    match split_word(args) {
        (word, "") if !word.is_empty() => Ok(word),
        _ => Err(format!("usage: {}", usage)),
    }
}

fn host_error(command: &str, e: Error) -> String {
    format!("{}: {}", command, e)
}

/// An error about one name: `set orders.worker-delay-ms: must be between 0 and 10000`.
fn name_error(command: &str, name: &str, e: Error) -> String {
    format!("{} {}: {}", command, name, e)
}

impl Kv {
    fn run(&mut self, command: &str, args: &str, out: &mut Output) -> Result<Control, String> {
        match command {
            "add" => {
                let n = one_word(args, "add N (an integer)")?;
                let delta: i64 = n.parse().map_err(|_| format!("add: '{}' is not an integer", n))?;
                let total = host::add(delta).map_err(|e| host_error("add", e))?;
                out.line(&total.to_string());
            }
            "sum" => {
                no_args(args, "sum")?;
                out.line(&host::sum().map_err(|e| host_error("sum", e))?.to_string());
            }
            "set" => {
                let (key, value) = split_word(args);
                if key.is_empty() || value.is_empty() {
                    return Err("usage: set KEY VALUE".to_string());
                }
                host::kv_set(key, value).map_err(|e| name_error("set", key, e))?;
                out.line("ok");
            }
            "get" => {
                let key = one_word(args, "get KEY")?;
                match host::kv_get(key).map_err(|e| name_error("get", key, e))? {
                    Some(value) => out.line(&value),
                    None => return Err(format!("no such key: {}", key)),
                }
            }
            "del" => {
                let key = one_word(args, "del KEY")?;
                if !host::kv_del(key).map_err(|e| name_error("del", key, e))? {
                    return Err(format!("no such key: {}", key));
                }
                out.line("ok");
            }
            "keys" => {
                let prefix = match split_word(args) {
                    (p, "") => p,
                    _ => return Err("usage: keys [PREFIX]".to_string()),
                };
                let keys = host::kv_keys(prefix).map_err(|e| match e.kind {
                    ErrorKind::TooLarge => "keys: too many keys match; give a longer prefix".to_string(),
                    _ => host_error("keys", e),
                })?;
                for key in keys {
                    out.line(&key);
                }
            }
            "fields" => {
                let prefix = match split_word(args) {
                    (p, "") => p,
                    _ => return Err("usage: fields [PREFIX]".to_string()),
                };
                let fields = host::fields(prefix).map_err(|e| host_error("fields", e))?;
                let width = fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
                for f in fields {
                    let what = if f.kind == "action" {
                        format!("action, needs {}", f.role)
                    } else if f.access == "read-only" {
                        format!("{}, read-only", f.kind)
                    } else if f.role == "read-write" {
                        format!("{}, read-write", f.kind)
                    } else {
                        format!("{}, settable by {}", f.kind, f.role)
                    };
                    out.line(&format!("{:width$}  {}  {}", f.name, what, f.doc, width = width));
                }
            }
            "call" => {
                let (name, arg) = split_word(args);
                if name.is_empty() {
                    return Err("usage: call NAME [ARG]".to_string());
                }
                let answer = host::call(name, arg).map_err(|e| name_error("call", name, e))?;
                if !answer.is_empty() {
                    out.line(answer.strip_suffix('\n').unwrap_or(&answer));
                }
            }
            "whoami" => {
                no_args(args, "whoami")?;
                out.line(&host::whoami().map_err(|e| host_error("whoami", e))?);
            }
            "help" | "?" => out.line(HELP),
            "quit" | "exit" => {
                out.line("bye");
                return Ok(Control::Close);
            }
            other => return Err(format!("unknown command '{}'; type help for the list", other)),
        }
        Ok(Control::Continue)
    }
}

fn no_args(args: &str, command: &str) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("usage: {} (no arguments)", command))
    }
}

impl Shell for Kv {
    fn greet(&mut self, out: &mut Output) {
        out.line("kv shell; type help for commands, quit to leave");
    }

    fn prompt(&self) -> &str {
        "kv> "
    }

    fn line(&mut self, line: &str, out: &mut Output) -> Control {
        let (command, args) = split_word(line);
        if command.is_empty() {
            return Control::Continue;
        }
        match self.run(command, args, out) {
            Ok(control) => control,
            Err(message) => {
                out.error(&message);
                Control::Continue
            }
        }
    }
}

opshell_guest::export_shell!(Kv, Kv);
