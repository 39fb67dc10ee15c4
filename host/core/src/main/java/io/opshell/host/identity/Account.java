package io.opshell.host.identity;

import java.util.List;

/**
 * A user as the system knows it.
 *
 * @param gid    the primary group from the user database
 * @param groups every group the user is in (the primary one included), as {@code id USER} lists them
 */
public record Account(long uid, String name, long gid, List<Group> groups) {
    public Account {
        groups = List.copyOf(groups);
    }
}
