package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.Wat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many sessions mixing reads, writes and traps at once; the final state is exactly what was written. */
class MixedLoadTest {
    private static final int WRITERS = 8;
    private static final int ROUNDS = 300;
    private static final int TRAPPERS = 2;
    private static final int TRAPS_EACH = 5;

    @Test
    void readsWritesAndTrapsTogetherLeaveExactState() throws Exception {
        SessionLimits limits = SessionLimits.DEFAULT.withStepDeadline(Duration.ofMillis(100));
        try (TestServer ts = TestServer.start(OpshellServer.builder().limits(limits).shell("spin", Wat.resource("spin")))) {
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS + TRAPPERS);
            try {
                List<Future<?>> work = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int id = w;
                    work.add(pool.submit(() -> {
                        try (ShellClient c = ts.kv()) {
                            for (int i = 0; i < ROUNDS; i++) {
                                assertThat(c.command("add 2")).matches("\\d+");
                                assertThat(c.command("set w" + id + ".last " + i)).isEqualTo("ok");
                                assertThat(c.command("get w" + id + ".last")).isEqualTo(Integer.toString(i));
                                if (i % 50 == 0) {
                                    assertThat(c.command("keys w" + id + ".")).isEqualTo("w" + id + ".last");
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (int t = 0; t < TRAPPERS; t++) {
                    work.add(pool.submit(() -> {
                        try (ShellClient c = ShellClient.connect(ts.socket(), "spin> ")) {
                            c.send("\\shell spin\n");
                            c.readToPrompt();
                            for (int i = 0; i < TRAPS_EACH; i++) {
                                c.send("go\n");
                                assertThat(c.readToPrompt()).startsWith("error: shell exceeded the CPU limit of 100 ms");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            try (ShellClient c = ts.kv()) {
                assertThat(c.command("sum")).isEqualTo(Integer.toString(WRITERS * ROUNDS * 2));
                for (int w = 0; w < WRITERS; w++) {
                    assertThat(c.command("get w" + w + ".last")).isEqualTo(Integer.toString(ROUNDS - 1));
                }
                assertThat(c.command("keys").split("\n")).hasSize(WRITERS);
            }
            assertThat(TestServer.eventually(Duration.ofSeconds(10), () -> ts.server.liveShellInstances() == 0)).isTrue();
        }
    }
}
