package io.opshell.host.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A program on a pseudo-terminal, typed at like an operator would: util-linux's {@code script}
 * (in Debian's essential bsdutils, so always there) gives it a real tty, where JLine and the tty
 * driver behave as for a person (raw editing, Ctrl-C as SIGINT). What is typed goes through
 * {@code script}'s input; what the program shows, escape sequences and all, is collected.
 */
public final class Pty implements AutoCloseable {
    private final Process process;
    private final OutputStream keys;
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();

    private Pty(Process process) {
        this.process = process;
        this.keys = process.getOutputStream();
        Thread pump = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = process.getInputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    synchronized (screen) {
                        screen.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the program is gone
            }
        }, "pty-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Runs {@code command} on a 120×40 terminal, with {@code env} added to the environment. */
    public static Pty start(List<String> command, Map<String, String> env) throws IOException {
        String quoted = command.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", "stty cols 120 rows 40; exec " + quoted, "/dev/null")
                .redirectErrorStream(true);
        pb.environment().put("TERM", "xterm");
        pb.environment().putAll(env);
        return new Pty(pb.start());
    }

    /** Types {@code text} (control characters included: {@code \r} is Enter, {@code \u0003} Ctrl-C, {@code \u0004} Ctrl-D). */
    public void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Everything shown so far. */
    public String screen() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8);
        }
    }

    /** How much has been shown so far: a mark for {@link #await}. */
    public int mark() {
        return screen().length();
    }

    /**
     * Waits until {@code text} is shown after {@code from}; returns the position just after it.
     * Fails the test with the screen so far when it does not come within {@code timeout}.
     */
    public int await(String text, int from, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            String s = screen();
            int at = s.indexOf(text, Math.min(from, s.length()));
            if (at >= 0) {
                return at + text.length();
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("not shown within " + timeout.toMillis() + " ms: " + visible(text) + "\nscreen after "
                        + from + ": " + visible(s.substring(Math.min(from, s.length()))));
            }
            Thread.sleep(2);
        }
    }

    /** Waits for the program to exit; returns its exit status. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("did not exit within " + timeout.toMillis() + " ms; screen: " + visible(screen()));
        }
        return process.exitValue();
    }

    /** The screen with control characters made visible, for failure messages. */
    public static String visible(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** A fresh home directory for the client's history file. */
    public static Map<String, String> home(Path dir) {
        return Map.of("HOME", dir.toString());
    }
}
