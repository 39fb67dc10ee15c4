package io.opshell.host.policy;

import java.util.Arrays;

/** What an operator may do with the state. */
public enum Role {
    /** Reads only: every write host call answers permission denied. */
    READ_ONLY("read-only"),
    READ_WRITE("read-write"),
    /** Read-write plus the admin host commands: sessions, kill, reload, stats. */
    ADMIN("admin");

    private final String text;

    Role(String text) {
        this.text = text;
    }

    public boolean canWrite() {
        return this != READ_ONLY;
    }

    public boolean isAdmin() {
        return this == ADMIN;
    }

    /** Whether this role may do what {@code needed} may (roles are ordered: read-only, read-write, admin). */
    public boolean includes(Role needed) {
        return ordinal() >= needed.ordinal();
    }

    @Override
    public String toString() {
        return text;
    }

    public static Role parse(String text) {
        return Arrays.stream(values()).filter(r -> r.text.equals(text)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("role '" + text + "' is not one of read-only, read-write, admin"));
    }
}
