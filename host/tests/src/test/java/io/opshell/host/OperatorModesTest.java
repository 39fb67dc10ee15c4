package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What scripts read over plain socat: {@code \mode plain} and {@code \mode json} give exact,
 * parseable answers and no banner, prompt or greeting; interactive stays the default.
 */
class OperatorModesTest {
    static TestServer ts;

    @BeforeAll
    static void start() throws Exception {
        ts = TestServer.start(OpshellServer.builder());
        // A value with a newline, written from scheme (kv values are one line).
        try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
            c.send("\\mode plain\nset fixed 0\n\\shell scheme\n(kv-set! \"nl\" \"two\\nlines\")\n");
            c.shutdownOutput();
            c.readToEnd();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        ts.close();
    }

    private static String session(String input) throws Exception {
        try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
            c.send(input);
            c.shutdownOutput();
            return c.readToEnd();
        }
    }

    @Test
    void plainModeIsJustTheAnswersEachLineTerminated() throws Exception {
        assertThat(session("\\mode plain\nset k v\nget k\nget nope\nget nl\nadd 2\nkeys n\nfrob\n")).isEqualTo("""
                ok
                v
                error: no such key: nope
                two
                lines
                2
                nl
                error: unknown command 'frob'; type help for the list
                """);
    }

    @Test
    void jsonModeIsOneObjectPerInputLine() throws Exception {
        assertThat(session("\\mode json\nset j 1\nget j\nget nope\nget nl\n\\tenant\n\\bogus\nquit\n")).isEqualTo("""
                {"input":"set j 1","ok":true,"output":"ok"}
                {"input":"get j","ok":true,"output":"1"}
                {"input":"get nope","ok":false,"output":"error: no such key: nope"}
                {"input":"get nl","ok":true,"output":"two\\nlines"}
                {"input":"\\\\tenant","ok":true,"output":"tenants: default (current: default)"}
                {"input":"\\\\bogus","ok":false,"output":"error: unknown host command '\\\\bogus'; \\\\help lists them"}
                {"input":"quit","ok":true,"output":"bye"}
                """);
    }

    @Test
    void aModeLineLaterSwitchesWithoutAnsweringItself() throws Exception {
        String out = session("\\mode plain\nget fixed\n\\mode json\nget fixed\n\\mode plain\nget fixed\n");
        assertThat(out).isEqualTo("0\n{\"input\":\"get fixed\",\"ok\":true,\"output\":\"0\"}\n0\n");
    }

    @Test
    void interactiveIsTheDefaultWithBannerAndPrompts() throws Exception {
        String out = session("get fixed\n");
        assertThat(out).startsWith("opshell: connected as ").contains("\nkv shell; type help for commands, quit to leave\nkv> 0\nkv> ");
    }

    @Test
    void linesAfterTheShellClosesAreReportedNotDropped() throws Exception {
        assertThat(session("\\mode plain\nquit\nget fixed\nget fixed\n")).isEqualTo("bye\nerror: 2 lines not run: the session closed\n");
    }

    @Test
    void leavingASwitchedToShellReturnsToTheFirstOne() throws Exception {
        String out = session("\\shell scheme\n(exit)\nget fixed\n");
        assertThat(out).contains("opshell: left scheme; back in kv\nkv shell; type help for commands, quit to leave\nkv> 0\nkv> ");
    }
}
