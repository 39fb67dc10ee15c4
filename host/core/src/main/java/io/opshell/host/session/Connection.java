package io.opshell.host.session;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.net.Refusal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * The transport of one session: reads and writes on its socket, the peer's credentials, and the
 * ways a connection ends. Knows nothing of lines, shells or modes. One socket timeout (SO_TIMEOUT)
 * bounds reads and writes alike; it changes (a system call) only when the caller's deadline does.
 * {@link #kill()} may be called from any thread and never waits on the client: a client that does
 * not read cannot hold up whoever ends its session.
 */
final class Connection {
    /** What {@link #read} returns when its timeout passed without input. */
    static final int TIMED_OUT = -2;
    /** After {@link #kill()}, the session gets this long to say goodbye before its socket is closed under it. */
    static final Duration KILL_GRACE = Duration.ofMillis(300);
    /** How long a closing session waits for the client to take its last words. */
    static final Duration DRAIN = Duration.ofMillis(500);

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private int timeoutMillis = -1;
    private volatile boolean killed;
    private volatile boolean closed;

    Connection(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Who is on the other end, from the socket's peer credentials. */
    OperatorIdentity identify(UnixUsers users) throws IOException {
        AFUNIXSocketCredentials creds = socket.getPeerCredentials();
        return users.identify(creds.getUid(), creds.getGid(), creds.getPid());
    }

    /** Reads what has arrived, waiting at most {@code timeoutMillis}: bytes read, -1 at end of input, or {@link #TIMED_OUT}. */
    int read(byte[] buf, int off, int len, long timeoutMillis) throws IOException {
        setTimeout(timeoutMillis);
        try {
            return in.read(buf, off, len);
        } catch (SocketTimeoutException e) {
            return TIMED_OUT;
        }
    }

    /**
     * Writes {@code bytes}, waiting at most the current timeout for the client to take them.
     *
     * @throws WriteTimeout when the client did not take them in time
     */
    void write(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            return;
        }
        try {
            out.write(bytes);
        } catch (SocketTimeoutException e) {
            throw new WriteTimeout();
        }
    }

    /** Bounds the next reads and writes; {@code millis} at least 1. */
    void setTimeout(long millis) throws IOException {
        int value = (int) Math.max(1, Math.min(millis, Integer.MAX_VALUE));
        if (value != timeoutMillis) {
            socket.setSoTimeout(value);
            timeoutMillis = value;
        }
    }

    boolean killed() {
        return killed;
    }

    /**
     * Ends the connection from another thread without waiting on anyone: the session's blocked
     * read ends at once (input shut down), so it can tell the operator why and close; if it is
     * still there after {@link #KILL_GRACE} (writing to a client that does not read, or inside a
     * step), the socket is closed under it.
     */
    void kill() {
        killed = true;
        try {
            socket.getChannel().shutdownInput();
        } catch (IOException e) {
            // already gone
        }
        Thread.ofVirtual().name("opshell-kill").start(() -> {
            try {
                Thread.sleep(KILL_GRACE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            forceClose();
        });
    }

    /** Closes so that the client still reads what it was told last (see {@link Refusal#closeGracefully}). */
    void close() {
        if (closed) {
            return;
        }
        if (killed) {
            forceClose();
        } else {
            Refusal.closeGracefully(socket, DRAIN);
            closed = true;
        }
    }

    private void forceClose() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    /** The client did not take its output within the write timeout. */
    static final class WriteTimeout extends IOException {
        WriteTimeout() {
            super("write timed out", null);
        }
    }
}
