package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The standalone server's signals, on the real process: SIGHUP never stops it (with or without a
 * policy), reloads the policy once, reopens log and audit files moved away by rotation; SIGTERM
 * stops it with status 0 and removes the socket.
 */
class SignalsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static String banner(Path socket) throws Exception {
        try (ShellClient c = ShellClient.connect(socket, "kv> ")) {
            String banner = c.readToPrompt();
            assertThat(c.command("add 1")).matches("\\d+");
            return banner;
        }
    }

    @Test
    void hangupWithoutAPolicyKeepsServing() throws Exception {
        try (ServerProcess server = ServerProcess.serve()) {
            server.signal("HUP");
            server.awaitStderr(s -> s.contains("SIGHUP:"), WAIT);
            server.signal("HUP");
            server.awaitStderr(s -> s.lines().filter(l -> l.contains("SIGHUP:")).count() == 2, WAIT);
            Thread.sleep(2_500); // the JVM's default action used to end the process about 2 s after SIGHUP
            assertThat(server.isAlive()).isTrue();
            assertThat(banner(server.socket())).contains("connected as root");
            assertThat(server.stderr()).contains("no policy file to reload").doesNotContain("policy reloaded");

            server.signal("TERM");
            assertThat(server.awaitExit(WAIT)).isZero();
            assertThat(server.socket()).doesNotExist();
            assertThat(server.stderr()).contains("opshell stopped");
        }
    }

    @Test
    void hangupReloadsThePolicyOnceAndKeepsServing() throws Exception {
        Path dir = ServerProcess.tempDir();
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, "profiles:\n  - {name: owner, uids: [0], role: admin, tenants: [t]}\n");
        try (ServerProcess server = ServerProcess.serve("--policy", policy.toString())) {
            assertThat(banner(server.socket())).contains("role admin");
            Files.writeString(policy, "profiles:\n  - {name: owner, uids: [0], role: read-write, tenants: [t]}\n");
            server.signal("HUP");
            server.awaitStderr(s -> s.contains("SIGHUP:"), WAIT);
            assertThat(server.stderrLinesContaining("policy reloaded from " + policy)).isEqualTo(1);
            assertThat(server.stderrLinesContaining("SIGHUP:")).isEqualTo(1);
            assertThat(banner(server.socket())).contains("role read-write");

            // A broken file leaves the policy in force, says so once, and the server serves on.
            Files.writeString(policy, "profiles: [oops\n");
            server.signal("HUP");
            server.awaitStderr(s -> s.lines().filter(l -> l.contains("SIGHUP:")).count() == 2, WAIT);
            assertThat(server.stderrLinesContaining("the previous policy stays in force")).isEqualTo(1);
            assertThat(server.stderrLinesContaining("policy reloaded from")).isEqualTo(1);
            assertThat(banner(server.socket())).contains("role read-write");
            assertThat(server.isAlive()).isTrue();
        } finally {
            Files.deleteIfExists(policy);
            Files.delete(dir);
        }
    }

    @Test
    void hangupReopensTheLogFile() throws Exception {
        Path dir = ServerProcess.tempDir();
        Path log = dir.resolve("opshell.log");
        Path rotated = dir.resolve("opshell.log.1");
        try (ServerProcess server = ServerProcess.serve("--log-file", log.toString())) {
            assertThat(Files.readString(log)).contains(ServerProcess.READY);
            assertThat(server.stderr()).isEmpty();
            Files.move(log, rotated); // what logrotate does before it signals
            server.signal("HUP");
            ServerProcess.awaitFile(log, s -> s.contains("SIGHUP: reopened log file " + log), WAIT);
            banner(server.socket());
            ServerProcess.awaitFile(log, s -> s.contains("session=1 Session: session 1 closed"), WAIT);
            assertThat(Files.readString(rotated)).contains(ServerProcess.READY).doesNotContain("SIGHUP");
        } finally {
            Files.deleteIfExists(log);
            Files.deleteIfExists(rotated);
            Files.delete(dir);
        }
    }

    @Test
    void hangupReopensTheAuditLog() throws Exception {
        try (ServerProcess server = ServerProcess.serve()) {
            Path audit = server.path(ServerProcess.AUDIT);
            Path rotated = server.path("audit.jsonl.1");
            banner(server.socket());
            Files.move(audit, rotated);
            server.signal("HUP");
            server.awaitStderr(s -> s.contains("SIGHUP: ") && s.contains("reopened audit log"), WAIT);
            banner(server.socket());
            ServerProcess.awaitFile(audit, s -> s.contains("\"event\":\"close\""), WAIT);
            assertThat(Files.readString(audit)).contains("\"event\":\"open\"");
            assertThat(Files.readString(rotated).lines().filter(l -> l.contains("\"event\":\"open\"")).count()).isEqualTo(1);
        }
    }
}
