package io.opshell.host.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A test operator on a real socket: sends lines and reads until the shell's prompt comes back.
 * Every read has a timeout, so a hung server fails the test instead of hanging it.
 */
public final class ShellClient implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 20_000;

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String prompt;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private ShellClient(AFUNIXSocket socket, String prompt) throws IOException {
        this.socket = socket;
        this.prompt = prompt;
        socket.setSoTimeout(TIMEOUT_MILLIS);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static ShellClient connect(Path socketPath, String prompt) throws IOException {
        AFUNIXSocket socket = AFUNIXSocket.newInstance();
        socket.connect(AFUNIXSocketAddress.of(socketPath));
        return new ShellClient(socket, prompt);
    }

    /**
     * Connects to a kv shell and consumes its banner and first prompt. Says {@code \mode interactive}
     * first, so the server shows the banner at once instead of waiting to see whether a script
     * asks for another mode.
     */
    public static ShellClient kv(Path socketPath) throws IOException {
        ShellClient c = connect(socketPath, "kv> ");
        c.send("\\mode interactive\n");
        c.readToPrompt();
        return c;
    }

    /** Sends one line and returns what came back before the next prompt, without the final newline. */
    public String command(String line) throws IOException {
        send(line + "\n");
        String reply = readToPrompt();
        return reply.endsWith("\n") ? reply.substring(0, reply.length() - 1) : reply;
    }

    public void send(String text) throws IOException {
        sendBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads up to the next prompt; returns what preceded it and keeps anything after it for the next read. */
    public String readToPrompt() throws IOException {
        return readTo(prompt);
    }

    /** Reads up to the next {@code marker}; returns what preceded it and keeps anything after it for the next read. */
    public String readTo(String marker) throws IOException {
        byte[] p = marker.getBytes(StandardCharsets.UTF_8);
        byte[] buf = new byte[8192];
        int at;
        while ((at = indexOf(pending.toByteArray(), p)) < 0) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("connection closed before the prompt; got: " + pending.toString(StandardCharsets.UTF_8));
            }
            pending.write(buf, 0, n);
        }
        byte[] all = pending.toByteArray();
        pending.reset();
        pending.write(all, at + p.length, all.length - at - p.length);
        return new String(all, 0, at, StandardCharsets.UTF_8);
    }

    /** Reads everything until the server closes the connection. */
    public String readToEnd() throws IOException {
        return new String(readAllBytes(), StandardCharsets.UTF_8);
    }

    public byte[] readAllBytes() throws IOException {
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                pending.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("server did not close the connection; got: " + pending.toString(StandardCharsets.UTF_8), e);
        }
        byte[] all = pending.toByteArray();
        pending.reset();
        return all;
    }

    /** Half-closes: the server sees end of input. */
    public void shutdownOutput() throws IOException {
        // java.net.Socket.shutdownOutput checks a flag junixsocket's sockets do not set; the channel works.
        socket.getChannel().shutdownOutput();
    }

    private static int indexOf(byte[] data, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
