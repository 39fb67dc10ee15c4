package io.opshell.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/** A {@link StateStore} in memory: one lock around everything, sorted entries per tenant. */
public final class InMemoryStateStore implements StateStore {
    /** Default cap on entries per tenant, so a runaway script cannot fill the heap. */
    public static final int DEFAULT_MAX_ENTRIES_PER_TENANT = 100_000;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Tenant> tenants = new HashMap<>();
    private final int maxEntriesPerTenant;

    public InMemoryStateStore() {
        this(DEFAULT_MAX_ENTRIES_PER_TENANT);
    }

    public InMemoryStateStore(int maxEntriesPerTenant) {
        if (maxEntriesPerTenant < 1) {
            throw new IllegalArgumentException("maxEntriesPerTenant must be at least 1");
        }
        this.maxEntriesPerTenant = maxEntriesPerTenant;
    }

    private static final class Tenant {
        long counter;
        final NavigableMap<String, String> entries = new TreeMap<>();
    }

    @Override
    public long add(String tenant, long delta) {
        lock.lock();
        try {
            Tenant t = tenant(tenant);
            t.counter = Math.addExact(t.counter, delta);
            return t.counter;
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
    public void set(String tenant, String key, String value) {
        lock.lock();
        try {
            Tenant t = tenant(tenant);
            if (t.entries.size() >= maxEntriesPerTenant && !t.entries.containsKey(key)) {
                throw new QuotaExceededException("tenant " + tenant + " holds " + maxEntriesPerTenant + " entries, the limit");
            }
            t.entries.put(key, value);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean delete(String tenant, String key) {
        lock.lock();
        try {
            Tenant t = tenants.get(tenant);
            return t != null && t.entries.remove(key) != null;
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
