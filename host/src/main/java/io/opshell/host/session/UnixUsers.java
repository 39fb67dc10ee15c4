package io.opshell.host.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Login names from the system's user database file, read on demand (it is small and may change). */
final class UnixUsers {
    private static final Path PASSWD = Path.of("/etc/passwd");

    private UnixUsers() {}

    /** The login name of {@code uid}, or {@code "uid<N>"} when the user database has none. */
    static String nameOf(long uid) {
        try {
            List<String> lines = Files.readAllLines(PASSWD);
            for (String line : lines) {
                String[] fields = line.split(":", -1);
                if (fields.length > 2 && fields[2].equals(Long.toString(uid))) {
                    return fields[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: a name is a courtesy, the uid is the identity
        }
        return "uid" + uid;
    }
}
