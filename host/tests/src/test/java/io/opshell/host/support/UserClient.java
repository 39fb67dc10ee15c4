package io.opshell.host.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An operator running as another Unix user: {@code setpriv --reuid --regid --clear-groups socat},
 * a real process with real credentials, so the server sees that uid and gid in SO_PEERCRED.
 * Needs root (CI runs as root). Reads have a deadline, so a hung server fails the test.
 */
public final class UserClient implements AutoCloseable {
    private static final long TIMEOUT_MILLIS = 20_000;

    private final Process process;
    private final OutputStream stdin;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final Thread reader;
    private int consumed;

    private UserClient(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        InputStream stdout = process.getInputStream();
        this.reader = Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = stdout.read(buf)) >= 0; ) {
                    synchronized (received) {
                        received.write(buf, 0, n);
                        received.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            synchronized (received) {
                received.notifyAll();
            }
        });
    }

    /** Connects as {@code uid}:{@code gid} with no supplementary groups. */
    public static UserClient connect(Path socket, long uid, long gid) throws IOException {
        Process p = new ProcessBuilder(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                "socat", "-t", "10", "-", "UNIX-CONNECT:" + socket)).redirectErrorStream(true).start();
        return new UserClient(p);
    }

    /**
     * Runs a whole piped session: sends {@code input}, closes stdin, returns everything the client
     * printed. A connection that is refused (by the kernel or by the server) may end the client
     * before its input is written; then what it printed is the answer, and the caller's assertions
     * judge it.
     */
    public static String session(Path socket, long uid, long gid, String input) throws Exception {
        try (UserClient c = connect(socket, uid, gid)) {
            try {
                c.stdin.write(input.getBytes(StandardCharsets.UTF_8));
                c.stdin.close();
            } catch (IOException ended) {
                if (!c.process.waitFor(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    throw ended; // the client is alive and took no input: a real failure
                }
            }
            return c.readToEnd();
        }
    }

    public void send(String text) throws IOException {
        try {
            stdin.write(text.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            // The client ended before it took its input: what it said is the reason.
            String said;
            try {
                said = readToEnd();
            } catch (Exception unreadable) {
                said = "(nothing readable: " + unreadable + ")";
            }
            String how = process.isAlive() ? "still running" : "exit " + process.exitValue();
            throw new IOException("the client ended before its input was sent (" + how + "); it said: " + said, e);
        }
    }

    public void endInput() throws IOException {
        stdin.close();
    }

    /** Sends a line and returns what came before the next {@code prompt}. */
    public String command(String line, String prompt) throws Exception {
        send(line + "\n");
        return readTo(prompt);
    }

    /** Returns the output up to the next {@code marker} (excluded), consuming it. */
    public String readTo(String marker) throws Exception {
        long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        synchronized (received) {
            while (true) {
                String all = received.toString(StandardCharsets.UTF_8);
                int at = all.indexOf(marker, consumed);
                if (at >= 0) {
                    String out = all.substring(consumed, at);
                    consumed = at + marker.length();
                    return out;
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || (!reader.isAlive() && !process.isAlive())) {
                    throw new IOException("no '" + marker + "' from the server; got: " + all.substring(consumed));
                }
                received.wait(Math.min(left, 100));
            }
        }
    }

    /** Everything not yet consumed once the server has closed the connection. */
    public String readToEnd() throws Exception {
        if (!process.waitFor(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            throw new IOException("the session did not end; got: " + received.toString(StandardCharsets.UTF_8));
        }
        reader.join(TIMEOUT_MILLIS);
        synchronized (received) {
            String all = received.toString(StandardCharsets.UTF_8);
            String out = all.substring(consumed);
            consumed = all.length();
            return out;
        }
    }

    @Override
    public void close() {
        process.destroy();
    }
}
