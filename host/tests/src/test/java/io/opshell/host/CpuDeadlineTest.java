package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.Wat;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A guest in an infinite loop is stopped by the per-step deadline; everyone else keeps working. */
class CpuDeadlineTest {
    @Test
    void infiniteLoopIsCutAndOtherSessionsAreServed() throws Exception {
        // The kv worker sends commands as fast as it gets answers: no state-call rate limit here.
        SessionLimits limits = SessionLimits.DEFAULT.withStepDeadline(Duration.ofMillis(200))
                .withStateCallsPerSecond(Double.POSITIVE_INFINITY);
        try (TestServer ts = TestServer.start(OpshellServer.builder().limits(limits).shell("spin", Wat.resource("spin")))) {
            AtomicBoolean spinning = new AtomicBoolean(true);
            CompletableFuture<Integer> kvWork = CompletableFuture.supplyAsync(() -> {
                int answered = 0;
                try (ShellClient kv = ts.kv()) {
                    while (spinning.get()) {
                        assertThat(kv.command("add 1")).matches("\\d+");
                        answered++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return answered;
            });
            try (ShellClient spin = ShellClient.connect(ts.socket(), "spin> ")) {
                spin.send("\\shell spin\n");
                spin.readToPrompt(); // kv's prompt line, then the switch notice and spin's prompt
                for (int i = 0; i < 3; i++) {
                    spin.send("anything\n");
                    assertThat(spin.readToPrompt()).isEqualTo(
                            "error: shell exceeded the CPU limit of 200 ms per step; starting a fresh shell (its definitions are lost)\n");
                }
            } finally {
                spinning.set(false);
            }
            assertThat(kvWork.get(30, TimeUnit.SECONDS)).as("kv commands answered while the loop ran").isPositive();
            assertThat(TestServer.eventually(Duration.ofSeconds(10), () -> ts.server.liveShellInstances() == 0)).isTrue();
        }
    }

    @Test
    void answersGivenBeforeARunawayLineInTheSameChunkAreNotLost() throws Exception {
        SessionLimits limits = SessionLimits.DEFAULT.withStepDeadline(Duration.ofMillis(200));
        try (TestServer ts = TestServer.start(OpshellServer.builder().limits(limits).defaultShell("scheme"));
                ShellClient c = ShellClient.connect(ts.socket(), "scheme> ")) {
            c.readToPrompt();
            c.send("(+ 1 2)\n(define (spin) (spin))\n(spin)\n(+ 3 4)\n"); // one write, one step
            assertThat(c.readToPrompt()).isEqualTo("3\n");
            assertThat(c.readToPrompt()).isEmpty(); // the define
            // The shell polls: it stops at the soft deadline, keeps its definitions, and the host
            // reports the line queued behind the runaway one instead of dropping it.
            assertThat(c.readToPrompt()).isEqualTo("error: interrupted (CPU limit of 200 ms)\n");
            assertThat(c.readToPrompt()).isEqualTo("error: 1 line not run: the step before them was interrupted\n");
            assertThat(c.command("(procedure? spin)")).isEqualTo("#t");
        }
    }
}
