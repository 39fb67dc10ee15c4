package io.opshell.host.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The standalone server as operators run it: {@code java -jar opshell.jar COMMAND ARGS} in its
 * own process (the JDK running the tests), its output in a file. Ready once its socket exists.
 */
public final class ServerProcess implements AutoCloseable {
    /** Where the reactor build puts the runnable jar, seen from host/tests. */
    public static final Path JAR = Path.of("../server/target/opshell.jar").toAbsolutePath().normalize();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path log;

    private ServerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command args…} and waits until {@code socket} appears. */
    public static ServerProcess start(Path socket, Path log, String command, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-jar", JAR.toString(), command));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServerProcess server = new ServerProcess(p, log);
        long end = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > end) {
                server.close();
                throw new IOException("the server did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return server;
    }

    public long pid() {
        return process.pid();
    }

    /** What the server printed so far. */
    public String output() throws IOException {
        return Files.readString(log);
    }

    /** Stops it with SIGTERM (as systemd and Ctrl-C do) and returns its exit status. */
    public int stop() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }
}
