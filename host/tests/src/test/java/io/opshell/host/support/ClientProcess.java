package io.opshell.host.support;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The opshell client (what scripts/connect runs) as a real separate process: the same JVM
 * options as the script, a class path of the client and JLine only (so the test also proves it
 * needs nothing else), and the terminal flags the script would pass. Output is collected as it
 * comes; a client that does not finish in time is killed and fails the test.
 */
public final class ClientProcess implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 60;

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outPump;
    private final Thread errPump;

    /** What a finished client left: its exit status and both output streams. */
    public record Result(int exit, String out, String err) {}

    private ClientProcess(Process process) {
        this.process = process;
        this.outPump = pump(process.getInputStream(), out);
        this.errPump = pump(process.getErrorStream(), err);
    }

    /** The java command line that runs the client, before its own arguments. */
    public static List<String> command(boolean stdinTerminal, boolean stdoutTerminal) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dopshell.stdin.tty=" + stdinTerminal, "-Dopshell.stdout.tty=" + stdoutTerminal, "-cp", classPath(),
                "io.opshell.client.OpshellClient"));
        return cmd;
    }

    /** Starts the client with {@code args}; write to {@link #stdin()}, then {@link #finish()}. */
    public static ClientProcess start(String... args) throws IOException {
        List<String> cmd = command(false, false);
        cmd.addAll(List.of(args));
        return new ClientProcess(new ProcessBuilder(cmd).start());
    }

    /** Runs the client with {@code input} on its standard input (closed after it) and waits for it. */
    public static Result run(String input, String... args) throws IOException, InterruptedException {
        try (ClientProcess c = start(args)) {
            try (OutputStream in = c.stdin()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the client ended before reading all of it: its result says why
            }
            return c.finish();
        }
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    /** What the client has printed on its standard output so far. */
    public String outSoFar() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the client to exit (at most a minute) and returns what it left. */
    public Result finish() throws InterruptedException {
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the client did not finish within " + TIMEOUT_SECONDS + " s; out: " + outSoFar());
        }
        outPump.join();
        errPump.join();
        synchronized (out) {
            synchronized (err) {
                return new Result(process.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = from.read(buf)) >= 0; ) {
                    synchronized (to) {
                        to.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "client-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Where the client's classes and JLine's are: the test class path, whatever form surefire gives it. */
    private static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String name : List.of("io.opshell.client.OpshellClient", "org.jline.reader.LineReader", "org.jline.terminal.Terminal",
                "org.jline.terminal.impl.ffm.FfmTerminalProvider")) {
            String resource = name.replace('.', '/') + ".class";
            URL url = ClientProcess.class.getClassLoader().getResource(resource);
            if (url == null) {
                throw new IllegalStateException("the test class path lacks " + name);
            }
            String u = url.toString();
            try {
                if (u.startsWith("jar:")) {
                    entries.add(Path.of(new URI(u.substring(4, u.indexOf("!/")))).toString());
                } else {
                    entries.add(Path.of(new URI(u.substring(0, u.length() - resource.length()))).toString());
                }
            } catch (URISyntaxException e) {
                throw new IllegalStateException("cannot locate " + name + " at " + u, e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
