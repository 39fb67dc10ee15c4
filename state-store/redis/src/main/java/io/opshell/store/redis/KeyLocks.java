package io.opshell.store.redis;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks striped by tenant and key: this host changes one entry (or one tenant's counter) at a
 * time, so its own sessions never race each other's compare-and-set, while changes to different
 * keys run in parallel. Other hosts are kept out by the scripts, not by these.
 */
final class KeyLocks {
    /** Stripes; a power of two. More only helps with more concurrent writers than this. */
    static final int STRIPES = 64;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    KeyLocks() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** The lock of an entry; {@code key} null for the tenant's counter. */
    ReentrantLock of(String tenant, String key) {
        int h = tenant.hashCode() * 31 + (key == null ? 0 : key.hashCode());
        return locks[(h ^ (h >>> 16)) & (STRIPES - 1)];
    }
}
