package io.opshell.store.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A real, private {@code redis-server} (Debian's package) for tests: listening only on a Unix
 * socket in a fresh directory under /tmp, no TCP port, no persistence unless asked; stopped and
 * its directory removed on {@link #close()}. Published in this module's test-jar for the
 * end-to-end tests of several opshell hosts on one Redis.
 */
public final class RedisServer implements AutoCloseable {
    private static final long START_TIMEOUT_MILLIS = 20_000;
    private static final long STOP_TIMEOUT_MILLIS = 10_000;
    private static final List<String> CANDIDATES = List.of("/usr/bin/redis-server", "/usr/sbin/redis-server",
            "/usr/local/bin/redis-server");

    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(Path dir, List<String> extraArgs) {
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** Starts one in a fresh directory; {@code extraArgs} are more redis-server options, e.g. {@code --appendonly yes}. */
    public static RedisServer start(String... extraArgs) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opshr"); // short: sun_path holds 108 bytes
        RedisServer server = new RedisServer(dir, List.of(extraArgs));
        try {
            server.startProcess();
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public Path socket() {
        return dir.resolve("redis.sock");
    }

    /** The store spec for this server, with {@code prefix} for the store's keys. */
    public String spec(String prefix) {
        return "redis+unix://" + socket() + "?prefix=" + prefix;
    }

    public long pid() {
        return process.pid();
    }

    /** Stops the server (SIGTERM; it saves nothing unless told to persist). */
    public void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Starts it again on the same socket and directory. */
    public void restart() throws IOException, InterruptedException {
        stop();
        startProcess();
    }

    private void startProcess() throws IOException, InterruptedException {
        Files.deleteIfExists(socket());
        List<String> cmd = new ArrayList<>(List.of(binary(), "--port", "0", "--unixsocket", socket().toString(),
                "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString(),
                "--logfile", dir.resolve("redis.log").toString()));
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile()).start();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with status " + process.exitValue() + ": " + log());
            }
            if (Files.exists(socket()) && answersPing()) {
                return;
            }
            Thread.sleep(10);
        }
        throw new IOException("redis-server did not answer within " + START_TIMEOUT_MILLIS + " ms: " + log());
    }

    private boolean answersPing() {
        try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket()))) {
            s.setSoTimeout(1_000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = new byte[7];
            int n = in.readNBytes(reply, 0, reply.length);
            return new String(reply, 0, n, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    private String log() {
        try {
            Path out = dir.resolve("redis.out"), log = dir.resolve("redis.log");
            return (Files.exists(out) ? Files.readString(out) : "") + (Files.exists(log) ? Files.readString(log) : "");
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static String binary() throws IOException {
        for (String c : CANDIDATES) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new IOException("redis-server is missing; run scripts/bootstrap as root (or apt-get install -y redis-server)");
    }

    @Override
    public void close() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
