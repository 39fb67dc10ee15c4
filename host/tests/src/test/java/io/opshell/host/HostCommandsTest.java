package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Backslash lines are for the host: list and switch shells, help, quit. */
class HostCommandsTest {
    static TestServer ts;

    @BeforeAll
    static void start() throws Exception {
        ts = TestServer.start(OpshellServer.builder());
    }

    @AfterAll
    static void stop() throws Exception {
        ts.close();
    }

    @Test
    void listsAndSwitchesShells() throws Exception {
        try (ShellClient c = ts.kv()) {
            assertThat(c.command("\\shell")).startsWith("shells: ").contains("echo", "kv").endsWith("(current: kv)");
            c.send("\\shell echo\nround trip\n\\shell kv\n");
            assertThat(c.readToPrompt()).isEqualTo("opshell: shell echo\nround trip\nopshell: shell kv\nkv shell; type help for commands, quit to leave\n");
            assertThat(c.command("sum")).isEqualTo("0");
        }
    }

    @Test
    void unknownShellAndCommandAreOneLineErrors() throws Exception {
        try (ShellClient c = ts.kv()) {
            assertThat(c.command("\\shell nosuch")).startsWith("error: no shell named 'nosuch' for you; shells: ");
            assertThat(c.command("\\frob")).isEqualTo("error: unknown host command '\\frob'; \\help lists them");
            assertThat(c.command("\\" + "x".repeat(5000))).isEqualTo("error: unknown host command '\\" + "x".repeat(40) + "…'; \\help lists them");
            assertThat(c.command("\\help")).contains("\\shell NAME", "\\quit");
            assertThat(c.command("set still works")).isEqualTo("ok");
        }
    }

    @Test
    void quitEndsTheSession() throws Exception {
        try (ShellClient c = ts.kv()) {
            c.send("\\quit\nsum\n");
            assertThat(c.readToEnd()).isEqualTo("bye\nerror: 1 line not run: the session closed\n");
        }
    }

    @Test
    void backslashInsideALineGoesToTheShell() throws Exception {
        try (ShellClient c = ts.kv()) {
            assertThat(c.command("set path C:\\temp")).isEqualTo("ok");
            assertThat(c.command("get path")).isEqualTo("C:\\temp");
        }
    }
}
