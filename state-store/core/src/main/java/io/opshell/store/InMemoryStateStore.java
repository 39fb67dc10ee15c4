package io.opshell.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link StateStore} in memory (spec {@code memory}): one lock around everything, entries per
 * tenant sorted in {@link StoredText#ORDER}. Nothing survives the process. Besides each tenant's
 * quota, the whole store is bounded by bytes (by default {@link #DEFAULT_HEAP_SHARE} of the JVM's
 * maximum heap), so no number of tenants can exhaust the heap. Behaviour every backend shares is
 * pinned by {@code StateStoreContract}; change it there first.
 */
public final class InMemoryStateStore implements StateStore {
    /** The default bound on all tenants together: this fraction of the maximum heap. */
    public static final double DEFAULT_HEAP_SHARE = 1.0 / 8;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Tenant> tenants = new HashMap<>();
    private final long maxTotalBytes;
    private long totalBytes;

    /** A store bounded at {@link #DEFAULT_HEAP_SHARE} of the maximum heap. */
    public InMemoryStateStore() {
        this((long) (Runtime.getRuntime().maxMemory() * DEFAULT_HEAP_SHARE));
    }

    /** @param maxTotalBytes bytes of keys and values (UTF-8) the whole store may hold */
    public InMemoryStateStore(long maxTotalBytes) {
        if (maxTotalBytes < 1) {
            throw new IllegalArgumentException("maxTotalBytes must be positive");
        }
        this.maxTotalBytes = maxTotalBytes;
    }

    private static final class Tenant {
        long counter;
        long bytes;
        final NavigableMap<String, String> entries = new TreeMap<>(StoredText.ORDER);
    }

    @Override
    public long add(String tenant, long delta, WriteAhead journal) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            long before = t == null ? 0 : t.counter;
            long after = Math.addExact(before, delta);
            journal.record(new Change.Counter(tenant, before, after));
            tenant(tenant).counter = after;
            return after;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long sum(String tenant) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            return t == null ? 0 : t.counter;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<String> get(String tenant, String key) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            return t == null ? Optional.empty() : Optional.ofNullable(t.entries.get(key));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Usage usage(String tenant) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            return t == null ? Usage.EMPTY : new Usage(t.entries.size(), t.bytes);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void set(String tenant, String key, String value, Quota quota, WriteAhead journal) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            String old = t == null ? null : t.entries.get(key);
            long growth = old == null ? StoredText.utf8Length(key) + StoredText.utf8Length(value)
                    : StoredText.utf8Length(value) - StoredText.utf8Length(old);
            quota.admit(tenant, t == null ? Usage.EMPTY : new Usage(t.entries.size(), t.bytes), old == null, growth);
            if (growth > 0 && totalBytes + growth > maxTotalBytes) {
                throw new QuotaExceededException("the in-memory store is full (" + totalBytes + " of " + maxTotalBytes
                        + " bytes for all tenants)");
            }
            journal.record(new Change.Entry(tenant, key, Optional.ofNullable(old), Optional.of(value)));
            Tenant target = tenant(tenant);
            target.entries.put(key, value);
            target.bytes += growth;
            totalBytes += growth;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean delete(String tenant, String key, WriteAhead journal) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            String old = t == null ? null : t.entries.get(key);
            if (old == null) {
                return false;
            }
            journal.record(new Change.Entry(tenant, key, Optional.of(old), Optional.empty()));
            t.entries.remove(key);
            long freed = StoredText.utf8Length(key) + StoredText.utf8Length(old);
            t.bytes -= freed;
            totalBytes -= freed;
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> keys(String tenant, String prefix, int limit) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            List<String> out = new ArrayList<>();
            if (t == null) {
                return out;
            }
            for (String key : t.entries.tailMap(prefix, true).keySet()) {
                if (!key.startsWith(prefix) || out.size() >= limit) {
                    break;
                }
                out.add(key);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    private Tenant tenant(String name) {
        return tenants.computeIfAbsent(name, n -> new Tenant());
    }
}
