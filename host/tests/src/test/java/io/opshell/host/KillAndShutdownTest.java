package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Nobody waits on a client that does not read: {@code \kill} and shutdown end such sessions at
 * once (within a second), whatever the clients do.
 */
class KillAndShutdownTest {
    /** Scheme answers with 1 MiB (the per-step output limit): far more than the socket buffers hold. */
    private static final String FLOOD = "(make-string 3000000 #\\x)\n";

    private static ShellClient nonReader(TestServer ts) throws Exception {
        ShellClient c = ShellClient.connect(ts.socket(), "scheme> ");
        c.send("\\mode interactive\n\\shell scheme\n");
        c.readTo("scheme> ");
        c.send(FLOOD); // and never read again
        return c;
    }

    @Test
    void killEndsASessionWhoseClientDoesNotReadAtOnce() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder()); ShellClient stuck = nonReader(ts);
                ShellClient admin = ts.kv()) {
            Thread.sleep(500); // the stuck session is now blocked writing
            String stuckId = admin.command("\\sessions").lines().filter(l -> l.contains("\tscheme\t")).findFirst()
                    .orElseThrow().split("\t")[0];
            long start = System.nanoTime();
            assertThat(admin.command("\\kill " + stuckId)).isEqualTo("killed session " + stuckId);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the admin waits on nobody").isLessThan(Duration.ofSeconds(1));
            assertThat(TestServer.eventually(Duration.ofSeconds(1), () -> ts.server.sessionCount() == 1))
                    .as("the killed session is gone within a second").isTrue();
        }
    }

    @Test
    void shutdownWithClientsThatDoNotReadFinishesWithinASecond() throws Exception {
        TestServer ts = TestServer.start(OpshellServer.builder());
        try (ShellClient a = nonReader(ts); ShellClient b = nonReader(ts)) {
            Thread.sleep(500);
            long start = System.nanoTime();
            ts.server.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(ts.server.sessionCount()).isZero();
        } finally {
            ts.close();
        }
    }
}
