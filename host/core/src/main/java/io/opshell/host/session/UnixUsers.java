package io.opshell.host.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Names and groups from the system's user and group files, read on demand (small, and they change). */
final class UnixUsers {
    private static final Path PASSWD = Path.of("/etc/passwd");
    private static final Path GROUP = Path.of("/etc/group");

    private UnixUsers() {}

    /** The login name of {@code uid}, or {@code "uid<N>"} when the user database has none. */
    static String nameOf(long uid) {
        for (String[] fields : entries(PASSWD)) {
            if (fields.length > 2 && fields[2].equals(Long.toString(uid))) {
                return fields[0];
            }
        }
        return "uid" + uid;
    }

    /**
     * The groups a peer is in, each as its number and (when the group file has it) its name: the
     * primary gid from the peer's credentials, plus every group listing the user as a member.
     */
    static Set<String> groupsOf(String user, long gid) {
        Set<String> groups = new LinkedHashSet<>();
        groups.add(Long.toString(gid));
        for (String[] fields : entries(GROUP)) {
            if (fields.length < 3) {
                continue;
            }
            boolean primary = fields[2].equals(Long.toString(gid));
            boolean member = fields.length > 3 && List.of(fields[3].split(",")).contains(user);
            if (primary || member) {
                groups.add(fields[0]);
                groups.add(fields[2]);
            }
        }
        return groups;
    }

    private static List<String[]> entries(Path file) {
        try {
            return Files.readAllLines(file).stream().map(line -> line.split(":", -1)).toList();
        } catch (IOException | RuntimeException e) {
            return List.of(); // names are a courtesy; the uid and gid are the identity
        }
    }
}
