package io.opshell.host.identity;

import java.util.Optional;

/** A group: its number, and its name where the system has one. */
public record Group(long gid, Optional<String> name) {
    public static Group of(long gid, String name) {
        return new Group(gid, Optional.ofNullable(name));
    }
}
