package io.opshell.host.support;

import io.opshell.host.OpshellServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** A real server on a socket in a fresh temporary directory, removed again on close. */
public final class TestServer implements AutoCloseable {
    public final OpshellServer server;
    public final Path dir;

    private TestServer(OpshellServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    /** Starts {@code builder} on {@code <tmp>/opshell.sock} (short path: sun_path holds 108 bytes). */
    public static TestServer start(OpshellServer.Builder builder) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh");
        try {
            return new TestServer(onTestEngine(builder).socket(dir.resolve("opshell.sock")).start(), dir);
        } catch (Exception e) {
            deleteTree(dir);
            throw e;
        }
    }

    /**
     * Starts {@code builder} where other Unix users can reach it: the directory is world-traversable
     * and the socket world-writable, so the policy alone decides who gets in.
     */
    public static TestServer startShared(OpshellServer.Builder builder) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            return new TestServer(onTestEngine(builder).socket(dir.resolve("opshell.sock"))
                    .socketMode(PosixFilePermissions.fromString("rw-rw-rw-")).start(), dir);
        } catch (Exception e) {
            deleteTree(dir);
            throw e;
        }
    }

    /** The run's engine (see {@link Engines}) unless the test chose one. */
    private static OpshellServer.Builder onTestEngine(OpshellServer.Builder builder) {
        return Engines.name() == null ? builder : builder.engine(Engines.name());
    }

    public Path socket() {
        return server.socketPath();
    }

    public ShellClient kv() throws IOException {
        return ShellClient.kv(socket());
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; returns whether it held. */
    public static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() throws IOException {
        server.close();
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
