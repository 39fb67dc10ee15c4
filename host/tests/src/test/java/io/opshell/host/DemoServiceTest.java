package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The demo service as a newcomer runs it ({@code opshell demo}, what {@code scripts/demo}
 * starts): enqueue orders through opshell, speed the worker up, watch the queue drain, find the
 * change in the audit log.
 */
class DemoServiceTest {
    private static String plain(Path socket, String input) throws Exception {
        try (ShellClient c = ShellClient.connect(socket, "")) {
            c.send("\\mode plain\n" + input);
            c.shutdownOutput();
            return c.readToEnd();
        }
    }

    private static long depth(Path socket) throws Exception {
        return Long.parseLong(plain(socket, "get orders.queue-depth\n").trim());
    }

    @Test
    void theQueueDrainsOnceAnOperatorSpeedsTheWorkerUp() throws Exception {
        try (ServerProcess demo = ServerProcess.demo()) {
            Path socket = demo.socket();
            assertThat(plain(socket, "call orders.enqueue 500\n")).startsWith("queued; depth ");
            long before = depth(socket);
            assertThat(before).as("at 200 ms an order, 500 take 100 s").isGreaterThan(400);
            assertThat(plain(socket, "set orders.worker-delay-ms 0\n")).isEqualTo("ok\n");
            assertThat(TestServer.eventually(Duration.ofSeconds(20), () -> {
                try {
                    return depth(socket) == 0;
                } catch (Exception e) {
                    return false;
                }
            })).as("the queue drains once the worker is fast").isTrue();
            assertThat(plain(socket, "get orders.processed\n")).isEqualTo("500\n");
            assertThat(Files.readString(demo.path(ServerProcess.AUDIT))).contains("\"event\":\"field\"",
                    "\"field\":\"orders.worker-delay-ms\"", "\"old\":\"200\",\"new\":\"0\"", "\"event\":\"call\"",
                    "\"action\":\"orders.enqueue\"");
        }
    }
}
