package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The kv shell through the real socket and engine, as an operator uses it. */
class KvShellEndToEndTest {
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
    void twoOperatorsShareState() throws Exception {
        try (ShellClient a = ts.kv(); ShellClient b = ts.kv()) {
            a.command("add -" + a.command("sum")); // this class's tests share one server
            assertThat(a.command("add 2")).isEqualTo("2");
            assertThat(b.command("add 3")).isEqualTo("5");
            assertThat(a.command("sum")).isEqualTo("5");
            assertThat(b.command("sum")).isEqualTo("5");
            assertThat(a.command("set motd hello world")).isEqualTo("ok");
            assertThat(b.command("get motd")).isEqualTo("hello world");
        }
    }

    @Test
    void bannerNamesTheOperatorAndShell() throws Exception {
        try (ShellClient c = ShellClient.connect(ts.socket(), "kv> ")) {
            String greeting = c.readToPrompt();
            assertThat(greeting).startsWith("opshell: connected as ").contains("role admin", "tenant default", "shell kv", "limits: ", "\\help");
            assertThat(c.command("whoami")).matches("user=\\S+ uid=\\d+ gid=\\d+ pid=\\d+ role=admin tenant=default shell=kv");
        }
    }

    @Test
    void keysDelAndValuesWithSpaces() throws Exception {
        try (ShellClient c = ts.kv()) {
            assertThat(c.command("set cfg.b  two  words ")).isEqualTo("ok");
            assertThat(c.command("set cfg.a 1")).isEqualTo("ok");
            assertThat(c.command("set other x")).isEqualTo("ok");
            assertThat(c.command("get cfg.b")).isEqualTo("two  words ");
            assertThat(c.command("keys cfg.")).isEqualTo("cfg.a\ncfg.b");
            assertThat(c.command("del cfg.a")).isEqualTo("ok");
            assertThat(c.command("del cfg.a")).isEqualTo("error: no such key: cfg.a");
            assertThat(c.command("keys cfg.")).isEqualTo("cfg.b");
            assertThat(c.command("keys zzz")).isEmpty();
        }
    }

    @Test
    void badInputGetsOneLineErrorsAndLosesNothing() throws Exception {
        try (ShellClient c = ts.kv()) {
            c.command("set keep me");
            assertThat(c.command("add")).isEqualTo("error: usage: add N (an integer)");
            assertThat(c.command("add two")).isEqualTo("error: add: 'two' is not an integer");
            assertThat(c.command("add 99999999999999999999")).isEqualTo("error: add: '99999999999999999999' is not an integer");
            assertThat(c.command("set onlykey")).isEqualTo("error: usage: set KEY VALUE");
            assertThat(c.command("get")).isEqualTo("error: usage: get KEY");
            assertThat(c.command("get a b")).isEqualTo("error: usage: get KEY");
            assertThat(c.command("get missing")).isEqualTo("error: no such key: missing");
            assertThat(c.command("sum extra")).isEqualTo("error: usage: sum (no arguments)");
            assertThat(c.command("frobnicate")).isEqualTo("error: unknown command 'frobnicate'; type help for the list");
            assertThat(c.command("")).isEmpty();
            assertThat(c.command("help")).contains("set NAME VALUE", "keys [PREFIX]", "fields [PREFIX]", "call NAME [ARG]", "quit");
            assertThat(c.command("get keep")).isEqualTo("me");
        }
    }

    @Test
    void counterOverflowIsAnErrorNotAWrap() throws Exception {
        try (ShellClient c = ts.kv()) {
            long before = Long.parseLong(c.command("sum"));
            assertThat(c.command("add " + (Long.MAX_VALUE - before))).isEqualTo(Long.toString(Long.MAX_VALUE));
            assertThat(c.command("add 1")).isEqualTo("error: add: counter overflow; nothing was changed");
            assertThat(c.command("sum")).isEqualTo(Long.toString(Long.MAX_VALUE));
            c.command("add " + (before - Long.MAX_VALUE));
        }
    }

    @Test
    void oversizedLinesInvalidUtf8AndCrLfAreHandled() throws Exception {
        try (ShellClient c = ts.kv()) {
            c.send("set big " + "x".repeat(70_000) + "\n");
            assertThat(c.readToPrompt()).isEqualTo("error: line of 70009 bytes dropped: longer than 65536 bytes, your limit\n");
            c.sendBytes(new byte[] {'g', 'e', 't', ' ', (byte) 0xff, (byte) 0xfe, '\n'});
            assertThat(c.readToPrompt()).isEqualTo("error: input is not valid UTF-8, line ignored\n");
            assertThat(c.command("set crlf yes\r")).isEqualTo("ok");
            assertThat(c.command("get crlf")).isEqualTo("yes");
            assertThat(c.command("set long " + "v".repeat(65_536 - 9))).isEqualTo("ok");
            assertThat(c.command("get long")).hasSize(65_536 - 9);
        }
    }

    @Test
    void pipedInputIsAnsweredAndTheSessionEndsAtEndOfInput() throws Exception {
        try (ShellClient c = ShellClient.connect(ts.socket(), "kv> ")) {
            c.send("set piped 1\nget piped\nget piped");
            c.shutdownOutput();
            String all = c.readToEnd();
            assertThat(all).endsWith("kv> ok\nkv> 1\nkv> 1\nkv> ");
        }
    }

    @Test
    void quitClosesTheSession() throws Exception {
        try (ShellClient c = ts.kv()) {
            c.send("quit\nsum\n");
            assertThat(c.readToEnd()).isEqualTo("bye\nerror: 1 line not run: the session closed\n");
        }
        assertThat(TestServer.eventually(java.time.Duration.ofSeconds(10), () -> ts.server.sessionCount() == 0)).isTrue();
    }

    @Test
    void inputSplitAcrossWritesIsReassembled() throws Exception {
        try (ShellClient c = ts.kv()) {
            for (byte b : "set split yes\n".getBytes(StandardCharsets.UTF_8)) {
                c.sendBytes(new byte[] {b});
                Thread.sleep(2);
            }
            assertThat(c.readToPrompt()).isEqualTo("ok\n");
            assertThat(c.command("get split")).isEqualTo("yes");
        }
    }
}
