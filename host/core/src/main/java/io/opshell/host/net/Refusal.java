package io.opshell.host.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * Ends a connection so that the client actually reads the last thing it was told: closing a
 * socket with unread input resets it, and the client could lose the message.
 */
public final class Refusal {
    private static final int DRAIN_BYTES = 64 * 1024;
    private static final Duration DRAIN = Duration.ofSeconds(1);

    private Refusal() {}

    public static void send(AFUNIXSocket socket, String message) {
        try {
            socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the client is gone
        }
        closeGracefully(socket, DRAIN);
    }

    /**
     * Closes so that what was written last is still read: half-closes, then drains what the
     * client sent meanwhile (at most 64 KiB, for at most {@code drain}) before the full close.
     */
    public static void closeGracefully(AFUNIXSocket socket, Duration drain) {
        try (socket) {
            socket.getChannel().shutdownOutput();
            socket.setSoTimeout((int) drain.toMillis());
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
