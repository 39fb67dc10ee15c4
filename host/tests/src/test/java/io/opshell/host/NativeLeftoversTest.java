package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.Engines;
import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The standalone server, started as {@code scripts/run} starts it (the jar, the JVM flags of
 * {@code opshell_jvm_flags} in scripts/lib.sh), loads its native libraries from the build's
 * {@code target/native} and leaves nothing in /tmp, even when killed with SIGKILL: wasmtime-java
 * used to extract an 18 MB library there on every start and never remove it. The server's
 * {@code java.io.tmpdir} (where both libraries' loaders extract) is a directory of the test's own,
 * so that other processes' files in /tmp cannot confuse it; the JVM's own perf data file is
 * always under /tmp and looked for by the server's pid.
 */
class NativeLeftoversTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Path JAR = ROOT.resolve("host/server/target/opshell.jar");
    private static final Path TMP = Path.of("/tmp");

    @Test
    void aKilledServerLeavesNoFileInTmp() throws Exception {
        Path dir = Files.createTempDirectory(TMP, "opsh");
        Path serverTmp = Files.createDirectory(dir.resolve("tmp"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        command.addAll(ServerProcess.jvmFlags());
        command.add("-Djava.io.tmpdir=" + serverTmp);
        command.addAll(List.of("-jar", JAR.toString(), "serve", "--socket", dir.resolve("s.sock").toString(), "--audit",
                dir.resolve("audit.jsonl").toString(), "--store", "sqlite:" + dir.resolve("state.db")));
        if (Engines.name() != null) {
            command.addAll(List.of("--engine", Engines.name()));
        }
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            awaitListening(server, dir.resolve("log"));
            try (ShellClient c = ShellClient.kv(dir.resolve("s.sock"))) {
                assertThat(c.command("add 1")).isEqualTo("1"); // the engine and the socket library both at work
            }
            List<String> mapped = Files.readAllLines(Path.of("/proc/" + server.pid() + "/maps")).stream()
                    .map(l -> l.replaceFirst("^(\\S+\\s+){5}", "").trim()).filter(p -> p.endsWith(".so")).distinct().toList();
            assertThat(mapped).as("libraries the server mapped").anyMatch(p -> p.endsWith("/libwasmtime_jni.so") || p.contains("junixsocket"));
            // The checkout itself may live under /tmp (a CI clone): what counts is that the natives come
            // from the build's own directory and nothing else is mapped from a temporary one.
            Path natives = ROOT.resolve("host/server/target/native");
            assertThat(mapped).as("engine, socket and SQLite libraries come from the build's native directory")
                    .filteredOn(p -> p.contains("wasmtime_jni") || p.contains("junixsocket") || p.contains("sqlitejdbc"))
                    .allMatch(p -> p.startsWith(natives + "/"));
            assertThat(mapped).as("libraries mapped from a temporary directory")
                    .noneMatch(p -> p.startsWith(TMP + "/") && !p.startsWith(natives + "/"));
        } finally {
            server.destroyForcibly(); // SIGKILL: no shutdown hook, no deleteOnExit
            server.waitFor(10, TimeUnit.SECONDS);
        }
        List<Path> left = leftovers(serverTmp, server.pid());
        deleteTree(dir);
        assertThat(left).as("files the killed server left in /tmp").isEmpty();
    }

    private static void awaitListening(Process server, Path log) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains("opshell listening on")) {
                return;
            }
            assertThat(server.isAlive()).as("server running; log: " + (Files.exists(log) ? Files.readString(log) : "")).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("server did not start: " + Files.readString(log));
    }

    /** What the server left: anything in its temporary directory, and the JVM's perf data file. */
    private static List<Path> leftovers(Path serverTmp, long pid) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(serverTmp)) {
            found.addAll(files.toList());
        }
        try (Stream<Path> perf = Files.list(TMP).filter(p -> p.getFileName().toString().startsWith("hsperfdata_"))) {
            for (Path d : perf.toList()) {
                if (Files.exists(d.resolve(Long.toString(pid)))) {
                    found.add(d.resolve(Long.toString(pid)));
                }
            }
        }
        return found;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
