package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** socat, the client operators use, as a real separate process. */
class SocatClientTest {
    private static String socat(TestServer ts, String input) throws Exception {
        Process p = new ProcessBuilder("socat", "-", "UNIX-CONNECT:" + ts.socket()).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("socat finished").isTrue();
        assertThat(p.exitValue()).as("socat exit status; output: " + output).isZero();
        return output;
    }

    @Test
    void pipedSessionsThroughSocatShareState() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            String first = socat(ts, "add 2\nset motd hello world\n");
            assertThat(first).startsWith("opshell: connected as ").endsWith("kv> 2\nkv> ok\nkv> ");
            String second = socat(ts, "add 3\nsum\nget motd\n");
            assertThat(second).endsWith("kv> 5\nkv> 5\nkv> hello world\nkv> ");
        }
    }

    @Test
    void hostCommandSwitchesShellFromSocat() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            String out = socat(ts, "\\shell echo\nhello there\n");
            assertThat(out).contains("opshell: shell echo\nhello there\n");
        }
    }
}
