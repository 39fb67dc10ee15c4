package io.opshell.client;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The transport: a connection to the server's Unix socket that carries lines, through the JDK's
 * own {@link SocketChannel} (a client needs no peer credentials, so no native library). One
 * thread may read while others write. Knows nothing of what the lines mean; that is
 * {@link OpshellSession}'s job. Where to change how a failed connect reads: {@link #connect}.
 */
final class SocketLines implements Closeable {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024).flip();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final Object writeLock = new Object();

    private SocketLines(SocketChannel channel) {
        this.channel = channel;
    }

    static SocketLines connect(Path socket) throws ClientFailure {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new SocketLines(channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing was sent
                }
            }
            throw new ClientFailure(whyNot(socket, e), e);
        }
    }

    /** Why connecting to {@code socket} failed, and what to do about it, in one line. */
    private static String whyNot(Path socket, Exception e) {
        String msg = String.valueOf(e.getMessage());
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return "no opshell socket at " + socket + "; start the server (scripts/run) or give --socket PATH";
        }
        if (!Files.isDirectory(socket) && !isSocket(socket)) {
            return socket + " is not a socket; give the server's socket with --socket PATH";
        }
        if (msg.contains("Permission denied") || msg.contains("Access denied")) {
            return "permission denied on " + socket + "; the socket's permissions do not admit your user (ask the service owner)";
        }
        if (msg.contains("refused") || e instanceof SocketException && msg.contains("Connection")) {
            return "no server is listening on " + socket + " (a stale socket?); start it with scripts/run";
        }
        return "cannot connect to " + socket + ": " + msg;
    }

    private static boolean isSocket(Path p) {
        try {
            Object type = Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return type instanceof Integer mode && (mode & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return true; // cannot tell: let the connect error speak
        }
    }

    /** Writes {@code bytes} whole (lines and their newlines), in one piece with respect to other writers. */
    void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        synchronized (writeLock) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    /** The next line without its newline (UTF-8, malformed bytes replaced), or null at the end of the stream. */
    String readLine() throws IOException {
        line.reset();
        while (true) {
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
            }
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                return line.size() > 0 ? line.toString(StandardCharsets.UTF_8) : null;
            }
        }
    }

    /** Tells the server the input has ended; answers still come. */
    void shutdownOutput() throws IOException {
        synchronized (writeLock) {
            channel.shutdownOutput();
        }
    }

    /** Closes the connection; a blocked {@link #readLine} returns or fails at once. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all that was left
        }
    }
}
