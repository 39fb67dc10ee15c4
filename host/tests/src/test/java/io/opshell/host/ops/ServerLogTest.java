package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The standalone server's log, captured from the real process's standard error: every line an
 * event with a UTC ISO-8601 timestamp and a level, session lines naming their session, and not one
 * JDK warning on a clean start and first connection (native access, sun.misc.Unsafe from Guava's
 * rate limiter and cache on the policy path, the metrics endpoint).
 */
class ServerLogTest {
    private static final Pattern LINE =
            Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR) .+");

    @Test
    void oneTimestampedLinePerEventAndNoJdkWarnings() throws Exception {
        Path dir = ServerProcess.tempDir();
        Path policy = dir.resolve("policy.yaml");
        // A rate-limited profile for root: the first connection goes through Guava's RateLimiter and Cache.
        Files.writeString(policy, """
                connections-per-second-per-peer: 50
                profiles:
                  - name: owner
                    uids: [0]
                    role: admin
                    tenants: [t]
                    limits: {commands-per-second: 50, bytes-per-second: 100000}
                """);
        try (ServerProcess server = ServerProcess.serve("--policy", policy.toString(), "--metrics-listen", "127.0.0.1:0")) {
            try (ShellClient c = ShellClient.kv(server.socket())) {
                assertThat(c.command("add 2")).isEqualTo("2");
                assertThat(c.command("\\tenant")).contains("tenants: t");
            }
            server.awaitStderr(s -> s.contains("session 1 closed"), Duration.ofSeconds(20));
            assertThat(MetricsEndpointTest.scrape(server)).contains("opshell_sessions_opened_total 1.0");
            server.signal("TERM");
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();

            String stderr = server.stderr();
            List<String> lines = stderr.lines().toList();
            assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).matches(LINE));
            assertThat(stderr).doesNotContain("WARNING").doesNotContain("sun.misc.Unsafe").doesNotContain("WARN ");
            assertThat(lines).filteredOn(l -> l.contains("session 1 opened")).singleElement().asString()
                    .contains(" INFO  session=1 Session: session 1 opened by root (uid 0");
            assertThat(lines).filteredOn(l -> l.contains(ServerProcess.READY)).singleElement().asString()
                    .doesNotContain("session=");
            assertThat(server.stdout()).isEmpty();
        } finally {
            Files.deleteIfExists(policy);
            Files.delete(dir);
        }
    }

    @Test
    void theLevelIsSetWithoutARebuild() throws Exception {
        try (ServerProcess server = ServerProcess.serve("--log-level", "warn")) {
            try (ShellClient c = ShellClient.kv(server.socket())) {
                c.command("sum");
            }
            server.signal("TERM");
            server.awaitExit(Duration.ofSeconds(20));
            assertThat(server.stderr()).doesNotContain("session 1 opened").doesNotContain(" INFO ");
        }
    }
}
