package io.opshell.host.identity;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Keeps another directory's answers (found or not) for a while, so a uid connecting again and
 * again costs one lookup a minute. A change in group membership therefore applies to new
 * connections within {@link #DEFAULT_TTL}, or at once after {@link #clear()} (a policy reload
 * calls it).
 */
public final class CachingUserDirectory implements UserDirectory {
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(1);
    /** Past this many answers the cache starts over (only root can connect as arbitrary uids). */
    private static final int MAX_ENTRIES = 10_000;
    static final CachingUserDirectory SYSTEM = new CachingUserDirectory(new NssUserDirectory(), DEFAULT_TTL);

    private record Entry(Optional<?> value, long expiresNanos) {}

    private final UserDirectory inner;
    private final long ttlNanos;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    public CachingUserDirectory(UserDirectory inner, Duration ttl) {
        this.inner = inner;
        this.ttlNanos = ttl.toNanos();
    }

    @Override
    public Optional<Account> user(long uid) {
        return cached("uid:" + uid, () -> alsoByName(inner.user(uid)));
    }

    @Override
    public Optional<Account> user(String name) {
        return cached("user:" + name, () -> alsoByUid(inner.user(name)));
    }

    /** One lookup answers both questions: a user found by uid is also known by name, and the reverse. */
    private Optional<Account> alsoByName(Optional<Account> found) {
        found.ifPresent(a -> put("user:" + a.name(), found, System.nanoTime()));
        return found;
    }

    private Optional<Account> alsoByUid(Optional<Account> found) {
        found.ifPresent(a -> put("uid:" + a.uid(), found, System.nanoTime()));
        return found;
    }

    @Override
    public Optional<Group> group(String nameOrGid) {
        return cached("group:" + nameOrGid, () -> inner.group(nameOrGid));
    }

    /** Forgets every answer. */
    public void clear() {
        entries.clear();
    }

    @SuppressWarnings("unchecked")
    private <T> Optional<T> cached(String key, Supplier<Optional<T>> lookup) {
        long now = System.nanoTime();
        Entry e = entries.get(key);
        if (e != null && now - e.expiresNanos() < 0) {
            return (Optional<T>) e.value();
        }
        Optional<T> value = lookup.get();
        put(key, value, now);
        return value;
    }

    private void put(String key, Optional<?> value, long now) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(key, new Entry(value, now + ttlNanos));
    }
}
