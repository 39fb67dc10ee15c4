package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opshell.host.OpshellServer;
import io.opshell.host.metrics.StatsSnapshot;
import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Metrics: the standalone server's Prometheus endpoint read over real HTTP while real sessions
 * run, and an embedder's own registry getting the same meters.
 */
class MetricsEndpointTest {
    private static final Pattern ADDRESS = Pattern.compile("metrics at (http://\\S+/metrics)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static URI endpoint(ServerProcess server) throws Exception {
        Matcher m = ADDRESS.matcher(server.awaitStderr(s -> ADDRESS.matcher(s).find(), Duration.ofSeconds(20)));
        m.find();
        return URI.create(m.group(1));
    }

    static HttpResponse<String> get(URI uri, String method) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static String scrape(ServerProcess server) throws Exception {
        HttpResponse<String> r = get(endpoint(server), "GET");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        return r.body();
    }

    /** The value of one sample line, e.g. {@code opshell_commands_total}. */
    static double value(String text, String sample) {
        return text.lines().filter(l -> l.startsWith(sample + " ")).mapToDouble(l -> Double.parseDouble(l.substring(
                sample.length() + 1))).findFirst().orElseThrow(() -> new AssertionError("no sample " + sample + " in:\n" + text));
    }

    @Test
    void countersMoveWithSessionsAndCommands() throws Exception {
        try (ServerProcess server = ServerProcess.serve("--metrics-listen", "127.0.0.1:0")) {
            String before = scrape(server);
            assertThat(value(before, "opshell_sessions_opened_total")).isZero();
            assertThat(value(before, "opshell_commands_total")).isZero();
            assertThat(value(before, "opshell_sessions_open")).isZero();
            assertThat(before).contains("opshell_step_seconds_bucket{le=\"1.0E-4\"}").contains("jvm_memory_used_bytes")
                    .contains("# TYPE opshell_commands_total counter");

            try (ShellClient a = ShellClient.kv(server.socket()); ShellClient b = ShellClient.kv(server.socket())) {
                a.command("add 5");
                a.command("set k v");
                b.command("get k");
                String during = scrape(server);
                assertThat(value(during, "opshell_sessions_open")).isEqualTo(2);
                assertThat(value(during, "opshell_shell_instances")).isEqualTo(2);
                assertThat(value(during, "opshell_sessions_opened_total")).isEqualTo(2);
                assertThat(value(during, "opshell_commands_total")).isEqualTo(3);
                assertThat(value(during, "opshell_store_operations_seconds_count{operation=\"set\",outcome=\"ok\"}"))
                        .isEqualTo(1);
                assertThat(value(during, "opshell_store_operations_seconds_count{operation=\"get\",outcome=\"ok\"}"))
                        .isEqualTo(1);
                // \stats reads the steps from the same timer as /metrics (JMX, also bound, keeps only totals of them).
                String stats = a.command("\\stats");
                long steps = Long.parseLong(stats.lines().filter(l -> l.startsWith("steps ")).findFirst().orElseThrow().substring(6));
                assertThat(steps).isGreaterThanOrEqualTo(3);
                assertThat(value(scrape(server), "opshell_step_seconds_count")).isEqualTo(steps);
            }
            server.awaitStderr(s -> s.contains("session 2 closed") && s.contains("session 1 closed"), Duration.ofSeconds(20));
            String after = scrape(server);
            assertThat(value(after, "opshell_sessions_open")).isZero();
            assertThat(value(after, "opshell_sessions_opened_total")).isEqualTo(2);
            assertThat(value(after, "opshell_commands_total")).isEqualTo(4); // \stats is a command too

            URI metrics = endpoint(server);
            assertThat(get(metrics.resolve("/"), "GET").statusCode()).isEqualTo(404);
            assertThat(get(metrics, "POST").statusCode()).isEqualTo(405);
        }
    }

    @Test
    void anEmbeddersRegistryGetsTheSameMeters() throws Exception {
        SimpleMeterRegistry mine = new SimpleMeterRegistry();
        try (TestServer ts = TestServer.start(OpshellServer.builder().meterRegistry(mine))) {
            try (ShellClient c = ts.kv()) {
                c.command("add 1");
                c.command("add 1");
            }
            TestServer.eventually(Duration.ofSeconds(10), () -> ts.server.sessionCount() == 0);
            assertThat(mine.get("opshell.sessions.opened").functionCounter().count()).isEqualTo(1);
            assertThat(mine.get("opshell.commands").functionCounter().count()).isEqualTo(2);
            assertThat(mine.get("opshell.store.operations").tag("operation", "add").tag("outcome", "ok").functionTimer().count())
                    .isEqualTo(2);
            StatsSnapshot stats = ts.server.metrics().snapshot();
            assertThat(stats.commands()).isEqualTo(2);
            assertThat(stats.sessionsOpened()).isEqualTo(1);
            assertThat(stats.storeOperations()).isEqualTo(2);
            assertThat(stats.lines()).contains("sessions_opened 1\n").contains("commands 2\n");
        }
    }
}
