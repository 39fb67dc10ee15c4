package io.opshell.host.net;

import io.opshell.host.SetupException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;
import java.util.Set;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A listening Unix-domain socket at a path, with the care a server owes that path: the path is
 * checked before anything else starts (length, directory), a live server's socket is never taken
 * over, a stale one (nobody accepting) is replaced, anything that is not a socket is left alone,
 * and the file's group and mode are set right after binding. (Binding under a temporary name and
 * renaming would close the short window before the chmod, but junixsocket's accept refuses a
 * socket whose file was moved; with the usual umask 022 nobody else can connect during that
 * window anyway, since connecting needs write permission on the file.) Every failure is a
 * {@link SetupException} naming the path, the reason and the fix.
 */
public final class UnixSocketListener implements AutoCloseable {
    /** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int BACKLOG = 128;
    private static final String SETTING = "socket";

    private final Path path;
    private final AFUNIXServerSocket server;
    private volatile boolean closed;

    private UnixSocketListener(Path path, AFUNIXServerSocket server) {
        this.path = path;
        this.server = server;
    }

    /**
     * Checks what can be checked before binding: the path fits in a socket address and its
     * directory exists and is writable. Cheap; a server calls it before loading anything.
     */
    public static void check(Path path) throws SetupException {
        Path absolute = path.toAbsolutePath();
        int bytes = absolute.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw new SetupException(SETTING, path.toString(), "the path is " + bytes + " bytes"
                    + (path.isAbsolute() ? "" : " as an absolute path") + ", over the " + MAX_PATH_BYTES
                    + "-byte limit for Unix socket paths; choose a shorter path (e.g. under /run or /tmp)");
        }
        Path dir = absolute.getParent();
        if (!Files.exists(dir)) {
            throw new SetupException(SETTING, path.toString(), "directory " + dir + " does not exist; create it (mkdir -p "
                    + dir + ") or choose another path");
        }
        if (!Files.isDirectory(dir)) {
            throw new SetupException(SETTING, path.toString(), dir + " is not a directory; choose another path");
        }
        if (!Files.isWritable(dir)) {
            throw new SetupException(SETTING, path.toString(), "cannot create a socket in " + dir
                    + " (permission denied); choose a directory this user (" + System.getProperty("user.name")
                    + ") can write");
        }
    }

    /**
     * Resolves a group for {@link #bind} by name or number, through the system's user database.
     *
     * @throws SetupException naming the group when the system has no such group
     */
    public static GroupPrincipal group(String nameOrGid) throws SetupException {
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(nameOrGid);
        } catch (UserPrincipalNotFoundException e) {
            throw new SetupException("socket-group", nameOrGid, "no such group; create it (groupadd " + nameOrGid
                    + ") or name an existing group");
        } catch (IOException e) {
            throw new SetupException("socket-group", nameOrGid, "cannot look the group up (" + e.getMessage() + ")");
        }
    }

    public static UnixSocketListener bind(Path path, Set<PosixFilePermission> mode) throws IOException {
        return bind(path, mode, Optional.empty());
    }

    /**
     * Binds, then gives the socket file to {@code group} (when present) and sets its mode. With
     * mode {@code rw-rw----} only the owner and that group's members can connect.
     */
    public static UnixSocketListener bind(Path path, Set<PosixFilePermission> mode, Optional<GroupPrincipal> group)
            throws IOException {
        check(path);
        Path absolute = path.toAbsolutePath();
        clearStaleSocket(absolute);
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        try {
            try {
                server.bind(AFUNIXSocketAddress.of(absolute), BACKLOG);
            } catch (SocketException e) {
                throw new SetupException(SETTING, path.toString(), "cannot bind (" + e.getMessage() + ")");
            }
            if (group.isPresent()) {
                setGroup(absolute, group.get());
            }
            Files.setPosixFilePermissions(absolute, mode);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new UnixSocketListener(absolute, server);
    }

    private static void setGroup(Path path, GroupPrincipal group) throws SetupException {
        try {
            Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
        } catch (IOException e) {
            throw new SetupException("socket-group", group.getName(), "cannot give the socket to this group ("
                    + (e instanceof AccessDeniedException || String.valueOf(e.getMessage()).contains("not permitted")
                            ? "operation not permitted" : e.getMessage())
                    + "); the server's user (" + System.getProperty("user.name") + ") must be root or a member of it");
        }
    }

    private static void clearStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new SetupException(SETTING, path.toString(), "exists and is not a socket; refusing to replace it;"
                    + " move it away or choose another path");
        }
        try (AFUNIXSocket probe = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path))) {
            // connected: someone is serving on it
        } catch (SocketException e) {
            if (!(e instanceof ConnectException) && !String.valueOf(e.getMessage()).contains("refused")) {
                throw new SetupException(SETTING, path.toString(), "cannot check whether it is in use ("
                        + e.getMessage() + ")");
            }
            Files.deleteIfExists(path); // nobody is accepting on it: left behind by a dead server
            return;
        }
        throw new SocketInUseException(path);
    }

    /** Another server is accepting connections on the path. */
    public static final class SocketInUseException extends SetupException {
        SocketInUseException(Path path) {
            super(SETTING, path.toString(), "in use by a running server; stop it first or choose another path");
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
