package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import org.junit.jupiter.api.Test;

/**
 * The stack a session thread gives guest code ({@code WasmEngine.guestThreadStackBytes}) is deep
 * enough for the scheme shell at its own nesting caps: data and code nested 255 levels deep is
 * read, compiled, run and printed; deeper input is refused with an {@code error:} line, never a
 * stack-overflow trap (deep recursion in Scheme itself lives on the evaluator's heap stack and
 * is an error at 100,000 pending calls: errors.scm in {@code SchemeProgramsTest}). On Chicory guest frames are Java frames, so this is what sizes its stack.
 */
class GuestStackTest {
    private static final int AT_CAP = 255;

    @Test
    void schemeNestingUpToItsCapsRunsAndBeyondIsAnError() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().defaultShell("scheme"));
                ShellClient c = ShellClient.connect(ts.socket(), "scheme> ")) {
            c.readToPrompt();
            c.send("(+ 1 " + "(+ 1 ".repeat(AT_CAP - 1) + "0" + ")".repeat(AT_CAP) + "\n");
            assertThat(c.readToPrompt()).isEqualTo(AT_CAP + "\n");
            c.send("(vector " + "(vector ".repeat(AT_CAP - 1) + ")".repeat(AT_CAP) + "\n");
            assertThat(c.readToPrompt()).startsWith("#(#(#(").doesNotContain("error");
            c.send("(quasiquote " + "(a ".repeat(AT_CAP - 1) + ")".repeat(AT_CAP) + "\n");
            assertThat(c.readToPrompt()).startsWith("(a (a (a").doesNotContain("error");
            c.send("(".repeat(400) + ")".repeat(400) + "\n");
            assertThat(c.readToPrompt()).startsWith("error: ").doesNotContain("starting a fresh shell");
            c.send("(+ 40 2)\n");
            assertThat(c.readToPrompt()).isEqualTo("42\n"); // the same instance: nothing trapped
        }
    }
}
