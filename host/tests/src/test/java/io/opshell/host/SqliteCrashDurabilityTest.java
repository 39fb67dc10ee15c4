package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.Socat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The standalone server with {@code --store sqlite:…} keeps every change it acknowledged when it is
 * killed with SIGKILL: 1,000 keys and 1,000 counter adds through socat, then more from a client that
 * is cut off mid-stream by the kill; after a restart every acknowledged change is there.
 */
class SqliteCrashDurabilityTest {
    /** Sessions through socat, each setting this many keys and adding as often (under the state-call burst). */
    private static final int BATCHES = 20, PER_BATCH = 50;

    private Path dir;
    private ServerProcess server;

    @BeforeEach
    void shortDirectory() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opshk"); // sun_path holds 108 bytes
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) {
            server.close();
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private ServerProcess start() throws Exception {
        return ServerProcess.start(dir.resolve("s.sock"), dir.resolve("server.log"), List.of(),
                "--store", "sqlite:" + dir.resolve("state.db"), "--audit", dir.resolve("audit.jsonl").toString());
    }

    @Test
    void everyAcknowledgedChangeSurvivesKillDashNine() throws Exception {
        server = start();
        Map<String, String> acknowledged = new TreeMap<>();
        long acknowledgedAdds = 0;
        long lastTotal = 0;
        for (int b = 0; b < BATCHES; b++) {
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < PER_BATCH; i++) {
                int n = b * PER_BATCH + i;
                input.append("set key").append(n).append(" value ").append(n).append(" é\n").append("add 1\n");
            }
            List<String> answers = Socat.kvAnswers(Socat.session(server.socket(), input.toString()));
            assertThat(answers).hasSize(2 * PER_BATCH);
            for (int i = 0; i < PER_BATCH; i++) {
                int n = b * PER_BATCH + i;
                assertThat(answers.get(2 * i)).isEqualTo("ok");
                acknowledged.put("key" + n, "value " + n + " é");
                long total = Long.parseLong(answers.get(2 * i + 1));
                assertThat(total).isEqualTo(lastTotal + 1);
                lastTotal = total;
                acknowledgedAdds++;
            }
        }
        assertThat(acknowledged).hasSize(1_000);
        assertThat(acknowledgedAdds).isEqualTo(1_000);

        // One more operator is writing when the server dies: what it was told succeeded must survive too.
        List<String> cutOff = new ArrayList<>();
        try (ShellClient c = ShellClient.kv(server.socket())) {
            for (int i = 0; i < 100; i++) {
                assertThat(c.command("set late" + i + " v" + i)).isEqualTo("ok");
                cutOff.add("late" + i);
                assertThat(c.command("add 1")).isEqualTo(Long.toString(++lastTotal));
                acknowledgedAdds++;
            }
            c.send("set inflight x\n");
            server.kill9();
        }
        assertThat(server.isAlive()).isFalse();

        server = start();
        List<String> keys = Socat.kvAnswers(Socat.session(server.socket(), "keys key\nkeys late\nsum\n"));
        assertThat(keys.get(0).split("\n")).containsExactlyInAnyOrderElementsOf(acknowledged.keySet());
        assertThat(keys.get(1).split("\n")).containsExactlyInAnyOrderElementsOf(cutOff);
        assertThat(Long.parseLong(keys.get(2))).isEqualTo(acknowledgedAdds);
        // Every value, read back in sessions of 500 gets (under the state-call burst).
        List<String> names = new ArrayList<>(acknowledged.keySet());
        for (int from = 0; from < names.size(); from += 500) {
            List<String> part = names.subList(from, Math.min(names.size(), from + 500));
            StringBuilder gets = new StringBuilder();
            part.forEach(k -> gets.append("get ").append(k).append('\n'));
            List<String> values = Socat.kvAnswers(Socat.session(server.socket(), gets.toString()));
            for (int i = 0; i < part.size(); i++) {
                assertThat(values.get(i)).as(part.get(i)).isEqualTo(acknowledged.get(part.get(i)));
            }
        }
    }
}
