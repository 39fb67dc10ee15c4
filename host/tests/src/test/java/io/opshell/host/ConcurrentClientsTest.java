package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many operators at once: every increment lands exactly once. */
class ConcurrentClientsTest {
    private static final int CLIENTS = 16;
    private static final int ADDS = 1_000;

    @Test
    void sixteenClientsTimesAThousandAddsSumExactly() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            CountDownLatch allConnected = new CountDownLatch(CLIENTS);
            try {
                List<Future<Void>> results = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    results.add(pool.submit(() -> {
                        try (ShellClient c = ts.kv()) {
                            allConnected.countDown();
                            allConnected.await();
                            for (int j = 0; j < ADDS; j++) {
                                assertThat(c.command("add 1")).matches("\\d+");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<Void> f : results) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            try (ShellClient c = ts.kv()) {
                assertThat(c.command("sum")).isEqualTo(Integer.toString(CLIENTS * ADDS));
            }
        }
    }
}
