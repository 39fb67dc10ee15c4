package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Thousands of sessions opened, used and closed: threads, instances, file descriptors and
 * resident memory come back to where they were. CI runs 2,000 sessions; a long soak runs with
 * {@code scripts/test -Dopshell.soak.sessions=100000}.
 */
class SoakTest {
    private static final int SESSIONS = Integer.getInteger("opshell.soak.sessions", 2_000);
    private static final int CLIENTS = 4;
    /** Allowed RSS growth: far below what leaking even 100 KiB per session would cost. */
    private static final long MAX_RSS_GROWTH_BYTES = 96L * 1024 * 1024;

    @Test
    void sessionsComeAndGoWithoutLeaks() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            churn(ts, 200); // warm up: JIT, code caches, thread stacks reused by the allocator
            Snapshot before = settled(ts);
            churn(ts, SESSIONS);
            Snapshot after = settled(ts);
            System.out.printf("soak: %d sessions; rss %d -> %d MiB, fds %d -> %d, threads %d -> %d%n", SESSIONS,
                    before.rss >> 20, after.rss >> 20, before.fds, after.fds, before.threads, after.threads);
            assertThat(after.sessionThreads).isZero();
            assertThat(ts.server.liveShellInstances()).isZero();
            assertThat(after.fds).isLessThanOrEqualTo(before.fds + 8);
            assertThat(after.threads).isLessThanOrEqualTo(before.threads + 4);
            assertThat(after.rss - before.rss).isLessThan(MAX_RSS_GROWTH_BYTES);
            try (ShellClient c = ts.kv()) {
                assertThat(c.command("sum")).isEqualTo(Integer.toString(200 + SESSIONS));
            }
        }
    }

    private static void churn(TestServer ts, int sessions) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                int share = sessions / CLIENTS + (t < sessions % CLIENTS ? 1 : 0);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < share; i++) {
                        try (ShellClient c = ts.kv()) {
                            assertThat(c.command("add 1")).matches("\\d+");
                        }
                    }
                    return null;
                }));
            }
            for (Future<Void> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private record Snapshot(long rss, long fds, int threads, long sessionThreads) {}

    private static Snapshot settled(TestServer ts) throws Exception {
        TestServer.eventually(Duration.ofSeconds(30), () -> ts.server.sessionCount() == 0 && sessionThreads() == 0);
        System.gc();
        Thread.sleep(200);
        return new Snapshot(rss(), fds(), Thread.activeCount(), sessionThreads());
    }

    private static long sessionThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("opshell-session-")).count();
    }

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
