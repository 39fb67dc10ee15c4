package io.opshell.store;

/**
 * How much one tenant may hold, checked on every write that adds: its entries, and the bytes of
 * its keys and values (UTF-8, {@link StoredText#utf8Length}). A write that would pass either is
 * refused; one that shrinks a tenant already over its quota (after the quota was lowered) is
 * allowed. The caller passes it with every write (the operator's profile decides it), so one
 * tenant may be written under different quotas by different operators.
 */
public record Quota(long maxEntries, long maxBytes) {
    /** Entries a tenant may hold by default. */
    public static final long DEFAULT_MAX_ENTRIES = 100_000;
    /** Bytes of keys and values a tenant may hold by default: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
    /** 100,000 entries, 256 MiB. */
    public static final Quota DEFAULT = new Quota(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES);

    public Quota {
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("quotas must be positive");
        }
    }

    /** This quota with {@code bytes} instead of its byte limit. */
    public Quota withMaxBytes(long bytes) {
        return new Quota(maxEntries, bytes);
    }

    /**
     * Checks a write against this quota.
     *
     * @param used     what the tenant holds before the write
     * @param newEntry whether the write adds an entry (rather than replacing one)
     * @param growth   bytes the write adds (negative when it shrinks the tenant)
     * @throws QuotaExceededException {@code tenant T is full (U of L bytes)} (or entries)
     */
    public void admit(String tenant, Usage used, boolean newEntry, long growth) {
        if (newEntry && used.entries() + 1 > maxEntries) {
            throw QuotaExceededException.full(tenant, used.entries(), maxEntries, "entries");
        }
        if (growth > 0 && used.bytes() + growth > maxBytes) {
            throw QuotaExceededException.full(tenant, used.bytes(), maxBytes, "bytes");
        }
    }
}
