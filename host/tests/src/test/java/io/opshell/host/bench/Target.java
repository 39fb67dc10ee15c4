package io.opshell.host.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One server under test, each in its own process (so its RSS is its own and it shares nothing
 * with the client but the machine): how to start it, its socket, its protocol, and whether it has
 * failed. Every process started here is stopped by {@link #stopAll()} (also from a shutdown hook)
 * and its pid is appended to the pid file that {@code scripts/bench} cleans up after.
 */
final class Target {
    private static final List<Process> STARTED = new CopyOnWriteArrayList<>();
    private static final long START_TIMEOUT_MILLIS = 60_000;

    final String name;
    final String description;
    final Protocol protocol;
    final Path socket;
    private final List<String> command;
    private final String readyLine;
    private final Path log;
    private Process process;
    /** The first error this target produced; once set, its remaining measurements are skipped. */
    volatile String failure;

    private Target(String name, String description, Protocol protocol, Path socket, List<String> command, String readyLine,
            Path log) {
        this.name = name;
        this.description = description;
        this.protocol = protocol;
        this.socket = socket;
        this.command = command;
        this.readyLine = readyLine;
        this.log = log;
    }

    static Target rawEcho(Path tmp) {
        Path sock = tmp.resolve("echo.sock");
        return new Target("raw-echo", "junixsocket echo server in Java (the floor: kernel + JVM socket I/O)",
                new Protocol.Echo(), sock, javaMain(EchoServer.class, sock), "echo listening on", tmp.resolve("echo.log"));
    }

    static Target redis(Path tmp, String redisServer) {
        // 10,000 clients is Redis's default; a little over it so that the bench's crowd of 10,000
        // never meets the limit while the previous phase's connections are still being closed.
        Path sock = tmp.resolve("redis.sock");
        List<String> cmd = List.of(redisServer, "--port", "0", "--unixsocket", sock.toString(), "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--maxclients", "10100", "--loglevel", "notice");
        return new Target("redis", "Debian redis-server, own instance on a Unix socket, no persistence",
                new Protocol.Resp(), sock, cmd, "ready to accept connections", tmp.resolve("redis.log"));
    }

    static Target nativeJava(Path tmp) {
        Path sock = tmp.resolve("native.sock");
        return new Target("native-java", "the kv protocol in plain Java over the same store (opshell without Wasm)",
                new Protocol.KvText("kv> ", ""), sock, javaMain(NativeKvServer.class, sock), "native-kv listening on",
                tmp.resolve("native.log"));
    }

    /** The bench servers' CPU limit per step (the default, 1 s, would cut a cold Chicory's {@code (fib 25)}). */
    private static final int STEP_MILLIS = 10_000;

    /** {@code opshell serve --engine ENGINE} with the in-memory store: the sandbox's own cost. */
    static Target opshell(Path tmp, Path jar, int maxSessions, String engine) {
        return opshellOn("opshell-" + engine, "opshell serve --engine " + engine + " (kv shell in Wasm), in-memory store",
                tmp, jar, maxSessions, engine, "memory");
    }

    /** opshell with its standalone default: state in an SQLite file (WAL, synchronous=NORMAL). */
    static Target opshellSqlite(Path tmp, Path jar, int maxSessions) {
        return opshellOn("opshell-sqlite", "opshell serve with --store sqlite: (the standalone default), wasmtime", tmp, jar,
                maxSessions, "wasmtime", "sqlite:" + tmp.resolve("opshell-sqlite.db"));
    }

    /** opshell keeping its state in Redis: the {@link #redis} target's server, under a key prefix of its own. */
    static Target opshellRedis(Path tmp, Path jar, int maxSessions, Target redis) {
        return opshellOn("opshell-redis", "opshell serve with --store redis+unix: (the redis target's server), wasmtime", tmp,
                jar, maxSessions, "wasmtime", "redis+unix://" + redis.socket + "?prefix=opshell-bench:");
    }

    /**
     * opshell serve as scripts/run starts it (the JVM flags the harness runs with too), with the
     * given engine and store, its audit log in the bench's directory, no state-call rate limit (one
     * benchmark connection makes tens of thousands of calls a second, and the bench measures the
     * sandbox, not the limit) and a CPU limit per step that a cold JIT's {@code (fib 25)} stays under.
     */
    private static Target opshellOn(String name, String description, Path tmp, Path jar, int maxSessions, String engine,
            String store) {
        Path sock = tmp.resolve(name + ".sock");
        List<String> cmd = new ArrayList<>(List.of(javaBinary()));
        cmd.addAll(serverJvmFlags());
        cmd.addAll(List.of("-jar", jar.toString(), "serve", "--socket", sock.toString(), "--max-sessions",
                Integer.toString(maxSessions), "--engine", engine, "--store", store, "--audit",
                tmp.resolve(name + "-audit.jsonl").toString(), "--state-calls-per-second", "Infinity", "--step-ms",
                Integer.toString(STEP_MILLIS)));
        return new Target(name, description, new Protocol.KvText("kv> ", Protocol.KvText.OPSHELL_HELLO), sock, cmd, "opshell listening on",
                tmp.resolve(name + ".log"));
    }

    /** The harness's own JVM flags that scripts/run gives a server too (scripts/lib.sh, opshell_jvm_flags). */
    static List<String> serverJvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--enable-native-access") || a.startsWith("-XX:") || a.startsWith("-Xss")
                    || a.startsWith("-Djava.library.path=") || a.startsWith("-Dorg.newsclub.net.unix.")
                    || a.startsWith("-Dorg.sqlite.lib.")) {
                flags.add(a);
            }
        }
        if (flags.stream().noneMatch(f -> f.startsWith("--enable-native-access"))) {
            flags.add("--enable-native-access=ALL-UNNAMED");
        }
        return flags;
    }

    private static List<String> javaMain(Class<?> main, Path sock) {
        return List.of(javaBinary(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                main.getName(), "--socket", sock.toString());
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** Starts the process and waits until it says it is ready (and its socket exists). */
    void start(Path pidFile) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        process = pb.start();
        STARTED.add(process);
        if (pidFile != null) {
            Files.writeString(pidFile, process.pid() + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + " at start; log:\n" + logTail());
            }
            if (Files.exists(socket) && Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT).contains(readyLine.toLowerCase(java.util.Locale.ROOT))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IOException(name + " did not become ready within " + START_TIMEOUT_MILLIS + " ms; log:\n" + logTail());
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** The server's resident set size, from /proc/PID/status, in bytes. */
    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid() + "/status");
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    void stop() {
        if (process != null) {
            stop(process);
        }
    }

    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy(); // SIGTERM: opshell and redis shut down cleanly on it
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static void stopAll() {
        for (Process p : STARTED) {
            stop(p);
        }
    }
}
