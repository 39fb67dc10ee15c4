package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One operator cannot write control sequences onto another's terminal: what a shell prints is
 * escaped in interactive mode, whether it comes from a value, a key or a Scheme display; plain and
 * json modes give the exact bytes in a parseable form.
 */
class TerminalSafetyTest {
    static final String HOSTILE = "\u001b[2J\u001b]0;pwned\u0007hi\rkv> fake \u202e\u0085";
    static TestServer ts;

    @BeforeAll
    static void start() throws Exception {
        ts = TestServer.start(OpshellServer.builder());
        try (ShellClient a = ts.kv()) {
            assertThat(a.command("set motd " + HOSTILE)).isEqualTo("ok");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        ts.close();
    }

    @Test
    void aValueReachesAnotherOperatorsTerminalEscaped() throws Exception {
        try (ShellClient b = ts.kv()) {
            // The fake prompt stays on the answer's line: only a real newline precedes the real prompt.
            b.send("get motd\n");
            assertThat(b.readTo("\nkv> ")).isEqualTo("\\x1b[2J\\x1b]0;pwned\\x07hi\\x0dkv> fake \\u202e\\u0085");
        }
    }

    @Test
    void schemeDisplayIsEscapedToo() throws Exception {
        try (ShellClient c = ts.kv()) {
            c.send("\\shell scheme\n");
            assertThat(c.readTo("scheme> ")).contains("scheme shell");
            c.send("(display (kv-get \"motd\"))\n");
            assertThat(c.readTo("scheme> ")).startsWith("\\x1b[2J\\x1b]0;pwned\\x07hi\\x0dkv> fake \\u202e\\u0085");
        }
    }

    @Test
    void plainAndJsonGiveTheExactBytes() throws Exception {
        try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
            c.send("\\mode plain\nget motd\n");
            c.shutdownOutput();
            assertThat(c.readToEnd()).isEqualTo(HOSTILE + "\n");
        }
        try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
            c.send("\\mode json\nget motd\n");
            c.shutdownOutput();
            assertThat(c.readToEnd()).isEqualTo("{\"input\":\"get motd\",\"ok\":true,\"output\":"
                    + "\"\\u001b[2J\\u001b]0;pwned\\u0007hi\\rkv> fake \u202e\\u0085\"}\n");
        }
    }

    @Test
    void keysWithBidirectionalControlsAreRefused() throws Exception {
        try (ShellClient c = ts.kv()) {
            assertThat(c.command("set ab\u202ecd v")).isEqualTo("error: set ab\\u202ecd: bad argument: key contains a bidirectional control character");
        }
    }
}
