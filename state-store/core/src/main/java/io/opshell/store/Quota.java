package io.opshell.store;

/**
 * How much one tenant may hold, checked on every write that adds: its entries, and the bytes of
 * its keys and values (UTF-8). A write that would pass either is refused; one that shrinks a
 * tenant already over its quota (after the quota was lowered) is allowed.
 */
public record Quota(long maxEntries, long maxBytes) {
    /** 100,000 entries, 256 MiB. */
    public static final Quota DEFAULT = new Quota(100_000, 256L * 1024 * 1024);

    public Quota {
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("quotas must be positive");
        }
    }
}
