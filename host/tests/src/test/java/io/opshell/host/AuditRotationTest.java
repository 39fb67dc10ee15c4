package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit file under rotation and failure: deleted or moved mid-run, later records land in a new
 * file at the path; a path that cannot be written refuses changes and recovers by itself once it
 * can; {@link AuditLog#reopen()} (SIGHUP) switches files and never throws.
 */
class AuditRotationTest {
    private Path dir;
    private Path logs;
    private Path audit;

    @BeforeEach
    void directory() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opshr");
        logs = dir.resolve("logs");
        Files.createDirectory(logs);
        audit = logs.resolve("audit.jsonl");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static List<String> keysSet(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> l.contains("\"event\":\"set\""))
                .map(l -> l.replaceAll(".*\"key\":\"([^\"]*)\".*", "$1")).toList();
    }

    @Test
    void aDeletedOrMovedFileIsFollowedByANewOneAndAnUnwritablePathRecovers() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().audit(audit, false)); ShellClient c = ts.kv()) {
            assertThat(c.command("set a 1")).isEqualTo("ok");
            Files.delete(audit);
            assertThat(c.command("set b 2")).isEqualTo("ok");
            assertThat(keysSet(audit)).containsExactly("b");

            Files.move(audit, logs.resolve("audit.jsonl.1")); // logrotate without copytruncate
            assertThat(c.command("set c 3")).isEqualTo("ok");
            assertThat(keysSet(logs.resolve("audit.jsonl.1"))).containsExactly("b");
            assertThat(keysSet(audit)).containsExactly("c");

            // The directory vanishes: no record can be written, so no change is made; reads go on.
            Files.delete(logs.resolve("audit.jsonl.1"));
            Files.delete(audit);
            Files.delete(logs);
            assertThat(c.command("set d 4")).isEqualTo("error: set d: audit log unavailable; nothing was changed");
            assertThat(c.command("add 1")).isEqualTo("error: add: audit log unavailable; nothing was changed");
            assertThat(c.command("get c")).isEqualTo("3");
            try (ShellClient late = ts.kv()) {
                assertThat(late.command("get d")).isEqualTo("error: no such key: d");
            }
            Files.createDirectory(logs);
            assertThat(c.command("set d 4")).isEqualTo("ok");
            assertThat(keysSet(audit)).containsExactly("d");
        }
    }

    @Test
    void reopenSwitchesToTheFileNowAtThePathAndNeverThrows() throws Exception {
        try (AuditLog log = AuditLog.open(audit, true)) {
            log.record("set", Map.of("key", "one"));
            Files.move(audit, logs.resolve("old"));
            log.reopen();
            log.record("set", Map.of("key", "two"));
            assertThat(keysSet(logs.resolve("old"))).containsExactly("one");
            assertThat(keysSet(audit)).containsExactly("two");

            Files.delete(audit);
            Files.delete(logs.resolve("old"));
            Files.delete(logs);
            log.reopen();
            assertThat(log.isWritable()).isFalse();
            assertThatThrownBy(() -> log.record("set", Map.of("key", "lost")))
                    .isInstanceOf(AuditLog.UnavailableException.class)
                    .hasMessageStartingWith("audit log " + audit + " cannot be written: NoSuchFileException");

            // Back, with a record cut short at its end: the next record starts on a line of its own.
            Files.createDirectory(logs);
            Files.writeString(audit, "{\"event\":\"set\",\"key\":\"cut");
            log.record("set", Map.of("key", "three"));
            assertThat(log.isWritable()).isTrue();
            assertThat(Files.readAllLines(audit)).hasSize(2);
            assertThat(Files.readAllLines(audit).get(1)).startsWith("{\"ts\":\"").endsWith("\"event\":\"set\",\"key\":\"three\"}");
        }
    }

    @Test
    void aClosedOrDisabledLog() throws Exception {
        AuditLog log = AuditLog.open(audit, false);
        log.close();
        assertThatThrownBy(() -> log.record("set", Map.of())).isInstanceOf(AuditLog.UnavailableException.class)
                .hasMessage("audit log " + audit + " is closed");
        AuditLog none = AuditLog.disabled();
        none.record("set", Map.of());
        none.reopen();
        assertThat(none.isWritable()).isTrue();
    }
}
