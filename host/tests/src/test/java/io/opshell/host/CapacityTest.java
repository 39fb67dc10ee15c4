package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A server asked for more sessions than its engine can hold serves what it can and refuses the
 * rest with "server busy" instead of crashing: on wasmtime the process's memory-mapping budget
 * bounds the sessions (about 4,700 with the kernel's default vm.max_map_count; past it wasmtime
 * aborted the JVM). On an engine bounded only by the heap (Chicory) nothing is clamped.
 */
class CapacityTest {
    /** Far more than wasmtime can hold here; what Chicory is asked for and keeps. */
    private static final int ASKED = 1_000_000;

    @Test
    void sessionsBeyondTheEnginesCapacityAreRefusedAndTheServerStaysUp() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().maxSessions(ASKED))) {
            int max = ts.server.maxSessions();
            if (ts.server.engineName().equals("chicory")) {
                assertThat(max).as("Chicory sessions need no native resources: nothing to clamp").isEqualTo(ASKED);
                return;
            }
            assertThat(max).as("sessions the server will hold").isLessThan(ASKED).isGreaterThan(100);
            List<ShellClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < max; i++) {
                    open.add(ts.kv());
                }
                assertThat(ts.server.sessionCount()).isEqualTo(max);
                try (ShellClient refused = ShellClient.connect(ts.socket(), "kv> ")) {
                    assertThat(refused.readToEnd()).isEqualTo("error: server busy: " + max
                            + " sessions open, the limit; try again later\n");
                }
                assertThat(open.get(0).command("add 1")).isEqualTo("1");
                assertThat(open.get(max - 1).command("sum")).isEqualTo("1");
            } finally {
                for (ShellClient c : open) {
                    c.close();
                }
            }
            // Sessions end on their own threads once their clients are gone.
            assertThat(TestServer.eventually(Duration.ofSeconds(60), () -> ts.server.sessionCount() == 0)).isTrue();
            try (ShellClient after = ts.kv()) {
                assertThat(after.command("sum")).isEqualTo("1");
            }
        }
    }
}
