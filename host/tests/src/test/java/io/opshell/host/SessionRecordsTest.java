package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every session's open record comes before anything it does and is written while it waits for
 * input; its close record says truly why it ended; admin actions are on record too.
 */
class SessionRecordsTest {
    Path dir;
    Path audit;

    @BeforeEach
    void files() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opsh-records");
        audit = dir.resolve("audit.jsonl");
    }

    @AfterEach
    void clean() throws Exception {
        Files.deleteIfExists(audit);
        Files.deleteIfExists(dir);
    }

    private TestServer server(SessionLimits limits) throws Exception {
        return TestServer.start(OpshellServer.builder().audit(audit, false).limits(limits));
    }

    /**
     * The reasons of the close records, in the order the sessions were opened (by session id; one
     * server's sessions are numbered as they connect), whatever order they ended in.
     */
    private List<String> closeReasons() throws Exception {
        return records("close").stream().sorted(java.util.Comparator.comparingLong(r -> r.get("session").asLong()))
                .map(r -> r.get("reason").asText()).toList();
    }

    private List<JsonNode> records(String event) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            JsonNode r = json.readTree(line);
            if (r.get("event").asText().equals(event)) {
                out.add(r);
            }
        }
        return out;
    }

    /** Whether the audit log holds {@code n} records of {@code event} within {@code wait}. */
    private boolean recordedWithin(Duration wait, String event, int n) throws Exception {
        return TestServer.eventually(wait, () -> {
            try {
                return records(event).size() == n;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private boolean closedCount(TestServer ts, int n) throws Exception {
        return TestServer.eventually(Duration.ofSeconds(10), () -> {
            try {
                return ts.server.sessionCount() == 0 && closeReasons().size() == n;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void theOpenRecordIsWrittenWhileTheSessionWaitsAndBeforeItsChanges() throws Exception {
        try (TestServer ts = server(SessionLimits.DEFAULT); ShellClient idle = ts.kv()) {
            // Nothing sent after the prompt: the record does not wait for input or the session's end.
            assertThat(recordedWithin(Duration.ofSeconds(5), "open", 1)).isTrue();
            assertThat(ts.server.sessionCount()).isEqualTo(1);
            // A session whose first command comes with its first line: the open record still comes first.
            try (ShellClient busy = ShellClient.connect(ts.socket(), "kv> ")) {
                busy.send("\\mode interactive\nset early 1\n");
                assertThat(busy.readTo("ok")).contains("kv shell");
            }
            assertThat(recordedWithin(Duration.ofSeconds(5), "close", 1)).isTrue();
            ObjectMapper json = new ObjectMapper();
            List<String> second = new java.util.ArrayList<>();
            for (String line : Files.readAllLines(audit)) {
                JsonNode r = json.readTree(line);
                if (r.has("session") && r.get("session").asLong() == 2) {
                    second.add(r.get("event").asText());
                }
            }
            assertThat(second).containsExactly("open", "set", "close");
        }
    }

    @Test
    void endOfInputQuitAndAClientThatVanished() throws Exception {
        try (TestServer ts = server(SessionLimits.DEFAULT)) {
            try (ShellClient c = ts.kv()) {
                c.shutdownOutput();
                c.readToEnd();
            }
            try (ShellClient c = ts.kv()) {
                c.send("\\quit\n");
                c.readToEnd();
            }
            try (ShellClient c = ts.kv()) {
                c.send("quit\n");
                c.readToEnd();
            }
            try (ShellClient c = ShellClient.connect(ts.socket(), "scheme> ")) {
                c.send("\\mode interactive\n\\shell scheme\n");
                c.readTo("scheme> ");
                // A step whose answer (1 MiB, more than the socket holds) finds the client gone.
                c.send("(let loop ((i 0)) (if (< i 300000) (loop (+ i 1)) (make-string 3000000 #\\x)))\n");
            }
            assertThat(closedCount(ts, 4)).isTrue();
            assertThat(closeReasons()).containsExactly("end of input", "operator quit", "shell closed the session",
                    "client closed the connection");
        }
    }

    @Test
    void idleTimeoutAndSessionLength() throws Exception {
        try (TestServer ts = server(SessionLimits.DEFAULT.withIdleTimeout(Duration.ofSeconds(1)))) {
            try (ShellClient c = ts.kv()) {
                c.readToEnd();
            }
            assertThat(closedCount(ts, 1)).isTrue();
        }
        try (TestServer ts = server(SessionLimits.DEFAULT.withMaxSessionLength(Duration.ofSeconds(1)))) {
            try (ShellClient c = ts.kv()) {
                c.readToEnd();
            }
            assertThat(closedCount(ts, 2)).isTrue();
        }
        assertThat(closeReasons()).containsExactly("idle timeout", "maximum session length");
    }

    @Test
    void aClientThatDoesNotReadItsOutput() throws Exception {
        try (TestServer ts = server(SessionLimits.DEFAULT.withWriteTimeout(Duration.ofSeconds(1)));
                ShellClient c = ShellClient.connect(ts.socket(), "scheme> ")) {
            c.send("\\mode interactive\n\\shell scheme\n");
            c.readTo("scheme> ");
            c.send("(make-string 3000000 #\\x)\n"); // 1 MiB of answer, never read
            assertThat(closedCount(ts, 1)).isTrue();
        }
        assertThat(closeReasons()).containsExactly("client did not read its output for 1 s");
    }

    @Test
    void killsShutdownAndReloadsAreOnRecord() throws Exception {
        TestServer ts = server(SessionLimits.DEFAULT);
        try (ShellClient admin = ts.kv(); ShellClient victim = ts.kv(); ShellClient bystander = ts.kv()) {
            String victimId = admin.command("\\sessions").lines().skip(2).findFirst().orElseThrow().split("\t")[0];
            assertThat(admin.command("\\kill " + victimId)).isEqualTo("killed session " + victimId);
            victim.readToEnd();
            assertThat(admin.command("\\reload")).startsWith("error: this server has no policy file to reload");
            ts.server.close();
            admin.readToEnd();
            bystander.readToEnd();
        } finally {
            ts.close();
        }
        JsonNode kill = records("kill").get(0);
        assertThat(kill.get("session").asLong()).isEqualTo(1);
        assertThat(kill.get("target").asText()).isEqualTo("2");
        JsonNode reload = records("reload").get(0);
        assertThat(reload.get("outcome").asText()).isEqualTo("refused");
        assertThat(reload.get("reason").asText()).isEqualTo("this server has no policy file to reload");
        assertThat(closeReasons()).containsExactlyInAnyOrder("killed by admin root (session 1)", "server shutting down",
                "server shutting down");
    }
}
