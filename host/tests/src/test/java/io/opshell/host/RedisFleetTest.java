package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.store.StateStores;
import io.opshell.store.redis.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet: two opshell servers, each with its own connection pool and locks, on one real
 * redis-server (private Unix socket). Counters stay exact under contention between the hosts, what
 * one host sets the other reads, and the two audit logs together tell exactly what was made: every
 * add recorded, and each one another host beat recorded as abandoned.
 */
class RedisFleetTest {
    private static final int CLIENTS_PER_HOST = 8;
    private static final int ADDS = 1_000;

    private RedisServer redis;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        dir = Files.createTempDirectory(Path.of("/tmp"), "opshf");
    }

    @AfterEach
    void stop() throws Exception {
        redis.close();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private TestServer host(String name) throws Exception {
        return TestServer.start(OpshellServer.builder()
                .store(StateStores.open(redis.spec("fleet:"), false))
                .audit(dir.resolve(name + ".jsonl"), false));
    }

    @Test
    void twoHostsSixteenClientsAThousandAddsEachSumExactly() throws Exception {
        try (TestServer a = host("a"); TestServer b = host("b")) {
            ExecutorService pool = Executors.newFixedThreadPool(2 * CLIENTS_PER_HOST);
            CountDownLatch allConnected = new CountDownLatch(2 * CLIENTS_PER_HOST);
            try {
                List<Future<Void>> results = new ArrayList<>();
                for (int i = 0; i < 2 * CLIENTS_PER_HOST; i++) {
                    TestServer host = i % 2 == 0 ? a : b;
                    results.add(pool.submit(() -> {
                        try (ShellClient c = host.kv()) {
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
            int total = 2 * CLIENTS_PER_HOST * ADDS;
            try (ShellClient ca = a.kv(); ShellClient cb = b.kv()) {
                assertThat(ca.command("sum")).isEqualTo(Integer.toString(total));
                assertThat(cb.command("sum")).isEqualTo(Integer.toString(total));

                assertThat(ca.command("set greeting set on host a")).isEqualTo("ok");
                assertThat(cb.command("get greeting")).isEqualTo("set on host a");
                assertThat(cb.command("del greeting")).isEqualTo("ok");
                assertThat(ca.command("get greeting")).isEqualTo("error: no such key: greeting");
            }
        }
        ObjectMapper json = new ObjectMapper();
        int adds = 0, abandoned = 0;
        for (String host : List.of("a", "b")) {
            for (String line : Files.readAllLines(dir.resolve(host + ".jsonl"))) {
                JsonNode r = json.readTree(line);
                switch (r.get("event").asText()) {
                    case "add" -> adds++;
                    case "abandoned" -> {
                        assertThat(r.get("of").asText()).isEqualTo("add");
                        assertThat(r.get("reason").asText()).isEqualTo("changed by another host");
                        abandoned++;
                    }
                    default -> { }
                }
            }
        }
        assertThat(adds - abandoned).as("adds recorded minus those abandoned").isEqualTo(2 * CLIENTS_PER_HOST * ADDS);
    }
}
