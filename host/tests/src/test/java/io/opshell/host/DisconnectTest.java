package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A client that vanishes leaves no session, thread or shell instance behind. */
class DisconnectTest {
    private static long sessionThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("opshell-session-") && t.isAlive()).count();
    }

    @Test
    void disconnectMidSessionFreesEverything() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            for (int i = 0; i < 20; i++) {
                ShellClient c = ts.kv();
                c.command("add 1");
                c.send("set half-a-comm"); // an unfinished line
                c.close();
            }
            assertThat(TestServer.eventually(Duration.ofSeconds(20), () -> ts.server.sessionCount() == 0
                    && ts.server.liveShellInstances() == 0 && sessionThreads() == 0))
                    .as("sessions %d, instances %d, threads %d", ts.server.sessionCount(),
                            ts.server.liveShellInstances(), sessionThreads())
                    .isTrue();
            try (ShellClient c = ts.kv()) {
                assertThat(c.command("sum")).isEqualTo("20");
                assertThat(c.command("keys")).isEmpty();
            }
        }
    }
}
