package io.opshell.host.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * One client connection of the harness, the same class for every target: blocking junixsocket
 * I/O, one buffer, a timeout on every read. Protocols use {@link #readUntil}, {@link #readExactly}
 * and {@link #write}; nothing here knows about any target.
 */
final class Conn implements AutoCloseable {
    /** No read waits longer than this: a hung target fails the run instead of hanging it. */
    static final int READ_TIMEOUT_MILLIS = 10_000;

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private byte[] buf = new byte[16 * 1024];
    private int pos;
    private int lim;

    private Conn(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static Conn open(Path socketPath) throws IOException {
        AFUNIXSocket s = AFUNIXSocket.newInstance();
        try {
            s.connect(AFUNIXSocketAddress.of(socketPath));
            return new Conn(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads up to and including {@code terminator}; returns what came before it (UTF-8). */
    String readUntil(byte[] terminator) throws IOException {
        int scanned = 0; // bytes after pos known not to start a match; survives fill()'s compaction
        while (true) {
            int at = indexOf(terminator, pos + scanned);
            if (at >= 0) {
                String s = new String(buf, pos, at - pos, StandardCharsets.UTF_8);
                pos = at + terminator.length;
                return s;
            }
            scanned = Math.max(0, lim - pos - terminator.length + 1);
            fill("waiting for " + printable(terminator));
        }
    }

    /** Reads exactly {@code n} bytes. */
    String readExactly(int n) throws IOException {
        while (lim - pos < n) {
            fill("waiting for " + n + " bytes");
        }
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** Bytes received but not consumed by a protocol (a correct exchange leaves none). */
    int unread() {
        return lim - pos;
    }

    private int indexOf(byte[] t, int from) {
        outer:
        for (int i = from; i <= lim - t.length; i++) {
            for (int j = 0; j < t.length; j++) {
                if (buf[i + j] != t[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void fill(String what) throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        if (lim == buf.length) {
            if (buf.length >= 16 * 1024 * 1024) {
                throw new IOException("reply longer than 16 MiB while " + what);
            }
            byte[] bigger = new byte[buf.length * 2];
            System.arraycopy(buf, 0, bigger, 0, lim);
            buf = bigger;
        }
        int n;
        try {
            n = in.read(buf, lim, buf.length - lim);
        } catch (SocketTimeoutException e) {
            throw new IOException("no reply within " + READ_TIMEOUT_MILLIS + " ms while " + what + "; got so far: "
                    + printable(java.util.Arrays.copyOfRange(buf, pos, lim)), e);
        }
        if (n < 0) {
            throw new EOFException("connection closed by the server while " + what + "; got so far: "
                    + printable(java.util.Arrays.copyOfRange(buf, pos, lim)));
        }
        lim += n;
    }

    static String printable(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        if (s.length() > 300) {
            s = s.substring(0, 300) + "...";
        }
        return "\"" + s.replace("\r", "\\r").replace("\n", "\\n") + "\"";
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
