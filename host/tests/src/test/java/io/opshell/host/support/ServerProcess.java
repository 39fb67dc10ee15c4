package io.opshell.host.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The real standalone server as a process: {@code java -jar host/server/target/opshell.jar ...}
 * (built by the reactor before these tests), on this test JVM's Java, with its standard output and
 * error in files of a fresh temporary directory. For signals, logs, metrics, startup errors and
 * everything else that lives in the command rather than the library. {@link #close()} stops it
 * (SIGTERM, then SIGKILL) and removes the directory it made. {@link #start} runs one on files the
 * test owns instead, so it can be killed and started again on the same state.
 */
public final class ServerProcess implements AutoCloseable {
    public static final Path JAR = Path.of("../server/target/opshell.jar").toAbsolutePath().normalize();
    /** What the server logs once it accepts connections. */
    public static final String READY = "opshell listening on";
    public static final String SOCKET = "opshell.sock";
    public static final String AUDIT = "audit.jsonl";
    public static final String STATE = "state.db";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    public final Path dir;
    private final Process process;
    private final Path out;
    private final Path err;
    /** Whether {@link #close()} removes {@link #dir}: only a directory this class made. */
    private final boolean ownsDir;
    private final Path socket;

    private ServerProcess(Path dir, Process process, Path out, Path err, boolean ownsDir, Path socket) {
        this.dir = dir;
        this.socket = socket;
        this.process = process;
        this.out = out;
        this.err = err;
        this.ownsDir = ownsDir;
    }

    /** A fresh temporary directory with a short path (socket paths hold 107 bytes), readable by other users. */
    public static Path tempDir() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /**
     * The JVM flags scripts/run gives the server (scripts/lib.sh, {@code opshell_jvm_flags}): among
     * them where the native libraries are, so a test's server extracts nothing into /tmp.
     */
    public static List<String> jvmFlags() {
        return JvmFlags.FLAGS;
    }

    private static final class JvmFlags {
        static final List<String> FLAGS = read();

        private static List<String> read() {
            try {
                Process p = new ProcessBuilder("bash", "-c", ". scripts/lib.sh && opshell_jvm_flags")
                        .directory(Path.of("../..").toAbsolutePath().normalize().toFile()).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("opshell_jvm_flags failed: " + out);
                }
                return out.lines().filter(l -> !l.isBlank()).toList();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** This JVM's java binary: the JDK the build runs on. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** {@code java -jar opshell.jar ARGS}, started in {@code dir}, not waited for. */
    public static ServerProcess launch(Path dir, List<String> prefix, List<String> args, Map<String, String> env)
            throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.add(java());
        command.addAll(jvmFlags());
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(args);
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        int socketArg = args.indexOf("--socket");
        Path socket = socketArg >= 0 && socketArg + 1 < args.size() ? Path.of(args.get(socketArg + 1)) : dir.resolve(SOCKET);
        return new ServerProcess(dir, pb.start(), out, err, true, socket);
    }

    /**
     * Starts {@code java JVM_OPTIONS -jar opshell.jar serve --socket SOCKET ARGS} on files the test
     * owns and waits until it listens; its output (both streams) is appended to {@code log}, so a
     * restart keeps one log. {@link #close()} leaves the files.
     */
    public static ServerProcess start(Path socket, Path log, List<String> jvmOptions, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(jvmFlags());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", JAR.toString(), "serve", "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        ServerProcess server = new ServerProcess(socket.getParent(), p, log, log, false, socket);
        server.awaitStderr(text -> text.substring((int) Math.min(logStart, text.length())).contains(READY), START_TIMEOUT);
        return server;
    }

    /**
     * Starts {@code opshell serve ARGS} in a fresh directory and waits until it is listening; unless
     * ARGS say otherwise the socket is {@code DIR/opshell.sock}, the audit log {@code DIR/audit.jsonl}
     * and the state {@code sqlite:DIR/state.db}.
     */
    public static ServerProcess serve(String... args) throws Exception {
        return serve(List.of(), Map.of(), args);
    }

    public static ServerProcess serve(List<String> prefix, Map<String, String> env, String... args) throws Exception {
        return start("serve", prefix, env, args);
    }

    /** Starts {@code opshell demo ARGS} (the demo service: serve's options) like {@link #serve}. */
    public static ServerProcess demo(String... args) throws Exception {
        return start("demo", List.of(), Map.of(), args);
    }

    private static ServerProcess start(String command, List<String> prefix, Map<String, String> env, String... args)
            throws Exception {
        Path dir = tempDir();
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(args));
        if (!all.contains("--socket")) {
            all.addAll(List.of("--socket", dir.resolve(SOCKET).toString()));
        }
        if (!all.contains("--audit")) {
            all.addAll(List.of("--audit", dir.resolve(AUDIT).toString()));
        }
        if (!all.contains("--store")) {
            all.addAll(List.of("--store", "sqlite:" + dir.resolve(STATE)));
        }
        ServerProcess p = launch(dir, prefix, all, env);
        int logFile = all.indexOf("--log-file");
        int level = all.indexOf("--log-level");
        try {
            if (level >= 0 && List.of("warn", "error").contains(all.get(level + 1))) {
                // the ready line is at INFO: the socket file is the sign then
                Path socket = Path.of(all.get(all.indexOf("--socket") + 1));
                p.awaitStderr(s -> Files.exists(socket), START_TIMEOUT);
            } else if (logFile >= 0) {
                Path log = Path.of(all.get(logFile + 1));
                p.awaitStderr(s -> Files.exists(log) && read(log).contains(READY), START_TIMEOUT);
            } else {
                p.awaitStderr(s -> s.contains(READY), START_TIMEOUT);
            }
        } catch (Exception e) {
            p.close();
            throw e;
        }
        return p;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs {@code opshell ARGS} to its end (a startup error, {@code -V}, {@code policy check}). */
    public static Result run(String... args) throws Exception {
        return run(List.of(), Map.of(), args);
    }

    public static Result run(List<String> prefix, Map<String, String> env, String... args) throws Exception {
        Path dir = tempDir();
        try (ServerProcess p = launch(dir, prefix, List.of(args), env)) {
            if (!p.process.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("opshell " + String.join(" ", args) + " did not end; stderr: " + p.stderr());
            }
            return new Result(p.process.exitValue(), p.stdout(), p.stderr());
        }
    }

    /** What a finished command did. */
    public record Result(int exit, String stdout, String stderr) {}

    /** A file in this server's directory. */
    public Path path(String name) {
        return dir.resolve(name);
    }

    /** The socket: {@code DIR/opshell.sock} unless {@link #start} was given another. */
    public Path socket() {
        return socket;
    }

    /** Everything the server printed so far on both streams (one file for {@link #start}). */
    public String log() throws IOException {
        String o = Files.exists(out) ? stdout() : "";
        return out.equals(err) ? o : o + (Files.exists(err) ? stderr() : "");
    }

    /** {@code kill -9}: no shutdown hook, no flush, nothing but what already reached the kernel. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGTERM, then SIGKILL if it does not exit in time; returns the exit status. */
    public int stop() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String stdout() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    public String stderr() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    /** Sends a signal by name (HUP, TERM, ...) with kill(1). */
    public void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-s", name, Long.toString(pid())).inheritIO().start().waitFor();
    }

    /** Waits until the standard error satisfies {@code condition}; fails if the server exits or time runs out. */
    public String awaitStderr(Predicate<String> condition, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            String text = stderr();
            if (condition.test(text)) {
                return text;
            }
            if (!process.isAlive()) {
                throw new IOException("the server exited with status " + process.exitValue() + "; stderr:\n" + text);
            }
            if (System.nanoTime() > end) {
                throw new IOException("timed out waiting on the server's log; stderr:\n" + text);
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code file} exists and its text satisfies {@code condition}. */
    public static String awaitFile(Path file, Predicate<String> condition, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            if (condition.test(text)) {
                return text;
            }
            if (System.nanoTime() > end) {
                throw new IOException("timed out waiting on " + file + "; it holds:\n" + text);
            }
            Thread.sleep(50);
        }
    }

    /** How many lines of the standard error contain {@code text}. */
    public long stderrLinesContaining(String text) throws IOException {
        return stderr().lines().filter(l -> l.contains(text)).count();
    }

    /** Waits for the process to end; returns its status. */
    public int awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException("the server did not exit within " + timeout.toSeconds() + " s; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            if (ownsDir) {
                try (Stream<Path> paths = Files.walk(dir)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
