package io.opshell.host.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * Turns a client away so that it actually reads why: writes the one-line message, half-closes,
 * and drains what the client already sent (a little, briefly) before closing. Closing a socket
 * with unread input would reset it, and the client could lose the message.
 */
public final class Refusal {
    private static final int DRAIN_BYTES = 64 * 1024;
    private static final int DRAIN_MILLIS = 1_000;

    private Refusal() {}

    public static void send(AFUNIXSocket socket, String message) {
        try (socket) {
            socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
            socket.getChannel().shutdownOutput();
            socket.setSoTimeout(DRAIN_MILLIS);
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            for (int total = 0, n; total < DRAIN_BYTES && (n = in.read(buf)) >= 0; total += n) {
                // discard
            }
        } catch (IOException e) {
            // the client is gone; nothing more to tell it
        }
    }
}
