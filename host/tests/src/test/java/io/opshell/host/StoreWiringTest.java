package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.store.StateStore;
import io.opshell.store.StateStores;
import io.opshell.store.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How a store gets into the server: the builder's, closed with the server; the CLI's --store, refused clearly when it cannot be used. */
class StoreWiringTest {
    private Path dir;

    @BeforeEach
    void directory() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opshw");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void closingTheServerClosesItsStore() throws Exception {
        StateStore store = StateStores.open("sqlite:" + dir.resolve("state.db"), false);
        try (TestServer ts = TestServer.start(OpshellServer.builder().store(store)); ShellClient c = ts.kv()) {
            assertThat(c.command("set k v")).isEqualTo("ok");
        }
        assertThatThrownBy(() -> store.get("default", "k")).isInstanceOf(StoreUnavailableException.class)
                .hasMessageEndingWith(" is closed");
        try (StateStore again = StateStores.open("sqlite:" + dir.resolve("state.db"), false)) {
            assertThat(again.get("default", "k")).contains("v");
        }
    }

    /** Runs {@code opshell serve ARGS}, expecting it to refuse at once; returns its output. */
    private String refusedStart(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-jar", ServerProcess.JAR.toString(), "serve", "--socket",
                dir.resolve("s.sock").toString(), "--audit", dir.resolve("audit.jsonl").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited; output: " + out).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(1);
        assertThat(dir.resolve("s.sock")).doesNotExist();
        return out;
    }

    @Test
    void aStoreTheCliCannotUseIsRefusedWithOneLine() throws Exception {
        assertThat(refusedStart("--store", "postgres://db")).isEqualTo(
                "error: --store postgres://db: no state store for 'postgres://db'; use one of: memory, sqlite:PATH, redis://HOST:PORT[/DB], "
                        + "redis+unix:///PATH[?db=N]\n");
        Path socket = dir.resolve("no-redis.sock");
        assertThat(refusedStart("--store", "redis+unix://" + socket)).startsWith(
                "error: --store redis+unix://" + socket + ": unreachable (connect): ").endsWith("\n").hasLineCount(1);
        assertThat(refusedStart("--store", "sqlite:" + dir.resolve("missing/state.db"))).isEqualTo(
                "error: --store sqlite:" + dir.resolve("missing/state.db") + ": directory " + dir.resolve("missing")
                        + " does not exist\n");
    }
}
