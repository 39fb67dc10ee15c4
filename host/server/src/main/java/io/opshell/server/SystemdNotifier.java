package io.opshell.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) without libsystemd: when systemd starts the server with {@code Type=notify} it sets
 * {@code NOTIFY_SOCKET}, and the server sends {@code READY=1} once its socket accepts connections,
 * {@code RELOADING=1} ... {@code READY=1} around a SIGHUP reload and {@code STOPPING=1} when it
 * stops. The datagram goes over junixsocket (the JDK's Unix sockets have no datagrams). Without
 * {@code NOTIFY_SOCKET} every call does nothing.
 */
final class SystemdNotifier {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
    static final String ENV = "NOTIFY_SOCKET";

    private final AFUNIXSocketAddress address;

    private SystemdNotifier(AFUNIXSocketAddress address) {
        this.address = address;
    }

    static SystemdNotifier fromEnvironment() {
        String target = System.getenv(ENV);
        if (target == null || target.isEmpty()) {
            return new SystemdNotifier(null);
        }
        try {
            // '@' starts a name in the abstract namespace (systemd's usual choice), anything else is a path.
            return new SystemdNotifier(target.startsWith("@") ? AFUNIXSocketAddress.inAbstractNamespace(target.substring(1))
                    : AFUNIXSocketAddress.of(Path.of(target)));
        } catch (IOException e) {
            log.warn("{}={} is not a usable socket address ({}); systemd will not hear that the server is ready", ENV,
                    target, e.getMessage());
            return new SystemdNotifier(null);
        }
    }

    /** The server accepts connections; {@code MAINPID} lets a relaunching launcher hand over the main process. */
    void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    /** A reload begins; {@code MONOTONIC_USEC} is the clock systemd's reload protocol expects. */
    void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1_000);
    }

    void reloaded(String status) {
        send("READY=1\nSTATUS=" + status);
    }

    void stopping() {
        send("STOPPING=1");
    }

    private void send(String message) {
        if (address == null) {
            return;
        }
        // The channel, not a DatagramPacket: the JDK's packet refuses a socket address that is not an IP one.
        try (AFUNIXDatagramChannel channel = AFUNIXDatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), address);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot notify systemd at {}: {}", System.getenv(ENV), e.toString());
        }
    }
}
