package io.opshell.store;

/** What a tenant holds: entries, and bytes of their keys and values (UTF-8). */
public record Usage(long entries, long bytes) {
    public static final Usage EMPTY = new Usage(0, 0);
}
