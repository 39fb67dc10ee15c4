package io.opshell.host.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The standalone server ({@code host/server/target/opshell.jar}, built by the reactor before these
 * tests) as a separate JVM, the way an operator runs it: its own heap, killable with SIGKILL. Its
 * output goes to a log file the test can read. Stopped (SIGTERM, then SIGKILL) on {@link #close()}.
 */
public final class ServerProcess implements AutoCloseable {
    private static final long START_TIMEOUT_MILLIS = 60_000;
    private static final long STOP_TIMEOUT_MILLIS = 15_000;
    private static final String READY = "opshell listening on ";

    private final Process process;
    private final Path socket;
    private final Path log;

    private ServerProcess(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** The runnable jar of this build. */
    public static Path jar() {
        Path tests = Path.of(System.getProperty("basedir", "."));
        Path jar = tests.resolve("../server/target/opshell.jar").normalize().toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing; run the tests through the reactor (scripts/test)");
        }
        return jar;
    }

    /**
     * Starts {@code java JVM_OPTIONS -jar opshell.jar serve --socket SOCKET ARGS} and waits until
     * it listens; its output goes to {@code log} (appended, so restarts keep one log).
     */
    public static ServerProcess start(Path socket, Path log, List<String> jvmOptions, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString(), "serve", "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        ServerProcess server = new ServerProcess(p, socket, log);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                throw new IOException("opshell exited with status " + p.exitValue() + " at start:\n" + server.log());
            }
            if (server.log().substring((int) Math.min(logStart, server.log().length())).contains(READY)) {
                return server;
            }
            Thread.sleep(50);
        }
        server.close();
        throw new IOException("opshell did not listen within " + START_TIMEOUT_MILLIS + " ms:\n" + server.log());
    }

    public Path socket() {
        return socket;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the server printed so far. */
    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** {@code kill -9}: no shutdown hook, no flush, nothing but what already reached the kernel. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** SIGTERM, then SIGKILL if it does not exit in time; returns the exit status. */
    public int stop() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
