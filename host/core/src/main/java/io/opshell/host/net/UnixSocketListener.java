package io.opshell.host.net;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A listening Unix-domain socket at a path, with the care a server owes that path: a live
 * server's socket is never taken over, a stale one (nobody accepting) is replaced, anything that
 * is not a socket is left alone, and the file's mode is set right after binding. (Binding under a
 * temporary name and renaming would close the short window before the chmod, but junixsocket's
 * accept refuses a socket whose file was moved; with the usual umask 022 nobody else can connect
 * during that window anyway, since connecting needs write permission on the file.)
 */
public final class UnixSocketListener implements AutoCloseable {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private final AFUNIXServerSocket server;
    private volatile boolean closed;

    private UnixSocketListener(Path path, AFUNIXServerSocket server) {
        this.path = path;
        this.server = server;
    }

    public static UnixSocketListener bind(Path path, Set<PosixFilePermission> mode) throws IOException {
        Path absolute = path.toAbsolutePath();
        clearStaleSocket(absolute);
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        try {
            server.bind(AFUNIXSocketAddress.of(absolute), 128);
            Files.setPosixFilePermissions(absolute, mode);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new UnixSocketListener(absolute, server);
    }

    private static void clearStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new FileAlreadyExistsException(path.toString(), null, "exists and is not a socket; refusing to replace it");
        }
        try (AFUNIXSocket probe = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path))) {
            // connected: someone is serving on it
        } catch (SocketException e) {
            if (!(e instanceof ConnectException) && !String.valueOf(e.getMessage()).contains("refused")) {
                throw new SocketException("cannot check whether " + path + " is in use: " + e.getMessage());
            }
            Files.deleteIfExists(path); // nobody is accepting on it: left behind by a dead server
            return;
        }
        throw new SocketInUseException(path);
    }

    /** Another server is accepting connections on the path. */
    public static final class SocketInUseException extends SocketException {
        SocketInUseException(Path path) {
            super(path + " is in use by a running server; stop it first or choose another --socket");
        }
    }

    public Path path() {
        return path;
    }

    /** Blocks for the next connection; throws once the listener is closed. */
    public AFUNIXSocket accept() throws IOException {
        return server.accept();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops accepting and removes the socket file. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } finally {
            Files.deleteIfExists(path);
        }
    }
}
