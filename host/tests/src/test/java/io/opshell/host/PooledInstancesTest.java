package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instances made ahead of demand ({@code pool}): ready before anyone connects, refilled after each
 * one a session takes, never handed to a second session, and bound to the limits of the session
 * that takes them, not to the pool's setup limits.
 */
class PooledInstancesTest {
    private static final int POOL = 2;
    /** The shells every server loads: echo, kv, scheme. */
    private static final int SHELLS = 3;
    private static final Duration REFILLED = Duration.ofSeconds(20);

    /** The test's own user (root, as CI runs) gets a profile with lower limits than the server's. */
    private static final String POLICY = """
            unknown: refuse
            profiles:
              - name: tight
                uids: [0]
                role: admin
                tenants: [default]
                limits: {step-ms: 400, memory-mib: 8}
            """;

    @Test
    void aSessionGetsAFreshPooledInstanceUnderItsOwnLimitsAndThePoolRefills(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), POLICY);
        try (TestServer ts = TestServer.start(OpshellServer.builder().policyFile(policy).pool(POOL).defaultShell("scheme"))) {
            assertThat(TestServer.eventually(REFILLED, () -> ts.server.pooledShellInstances() == POOL * SHELLS))
                    .as("every shell's pool filled before the first connection").isTrue();

            // The pool is full, so the session is given a pooled instance (a refill may already have
            // replaced it by the time we look: on Chicory it takes about 100 µs).
            try (ShellClient a = ShellClient.connect(ts.socket(), "scheme> ")) {
                a.readToPrompt();
                assertThat(a.command("(define x 41)")).isEmpty();
                assertThat(a.command("(+ x 1)")).isEqualTo("42");
                assertThat(TestServer.eventually(REFILLED, () -> ts.server.pooledShellInstances() == POOL * SHELLS))
                        .as("refilled in the background while the session runs").isTrue();

                // The profile's CPU limit (400 ms), not the pool's setup limit (1 s).
                assertThat(a.command("(let loop () (loop))")).isEqualTo("error: interrupted (CPU limit of 400 ms)");
                // The profile's memory limit (8 MiB), below the server's that the pooled instance was
                // made with: the host wrote it into the shell's descriptor when the session took it.
                assertThat(a.command("(define big (make-vector 4000000 0))"))
                        .isEqualTo("error: out of memory (Scheme data is limited to 6 MiB of the session's 8 MiB)");
                assertThat(a.command("(+ x 1)")).as("the shell kept its definitions").isEqualTo("42");
            }

            try (ShellClient b = ShellClient.connect(ts.socket(), "scheme> ")) {
                b.readToPrompt();
                assertThat(b.command("x")).as("nothing of the first session's shell").isEqualTo("error: unbound variable: x");
            }
            assertThat(TestServer.eventually(REFILLED, () -> ts.server.liveShellInstances() == 0)).isTrue();
        }
    }

    @Test
    void withoutAPoolSessionsInstantiateTheirOwn() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().pool(0));
                ShellClient c = ts.kv()) {
            assertThat(c.command("add 2")).isEqualTo("2");
            assertThat(ts.server.pooledShellInstances()).isZero();
        }
    }
}
