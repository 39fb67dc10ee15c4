//! The minimal shell: writes back each line it receives. No state, no host calls.

use opshell_guest::{Control, Output, Shell};

struct Echo;

impl Shell for Echo {
    fn prompt(&self) -> &str {
        ""
    }

    fn line(&mut self, line: &str, out: &mut Output) -> Control {
        out.line(line);
        Control::Continue
    }
}

opshell_guest::export_shell!(Echo, Echo);
