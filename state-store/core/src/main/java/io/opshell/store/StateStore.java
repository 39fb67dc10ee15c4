package io.opshell.store;

import java.util.List;
import java.util.Optional;

/**
 * The state operators work on: per tenant, one counter and a sorted map of text entries. Every
 * change is <em>write-ahead</em>: the store works out what the change does (the old and new value,
 * after its quota check), hands that {@link Change} to the caller's {@link WriteAhead} (the audit
 * log), and makes the change only if the journal returned normally; if it threw, nothing changed
 * and its exception propagates. Each change is atomic, and changes to one entry (or one counter)
 * are made one at a time, in the order they were journaled: the in-memory and SQLite stores hold
 * one lock per store in this process (SQLite's immediate transaction also keeps other processes
 * out); Redis holds a lock per entry in this process and keeps other hosts out with its scripts.
 * The journal is called with those locks held; nothing else is called out to under them.
 *
 * <p>A store shared by several processes (Redis) cannot hold its lock across them: it reads the
 * old value, journals the change, and applies it only if the value is still the one it read
 * (compare-and-set). When another process got there first it tells the journal
 * {@link WriteAhead#abandoned} and starts again with a fresh record; so a journal may see a record
 * that was never made, but never a change that was not recorded.
 *
 * <p>Backends: {@link InMemoryStateStore} here; SQLite and Redis in modules of their own, so an
 * embedder takes only the one it uses. {@link StateStores#open} makes one from a spec string. To
 * add a backend: implement this interface, run {@code StateStoreContract} (the shared tests, in
 * this module's test-jar) against it, and expose a {@link StateStoreProvider}. Sizes and key order
 * are those of {@link StoredText}, so every backend counts and lists alike.
 *
 * <p>Failures: {@link QuotaExceededException} (the write would take the tenant past its quota;
 * nothing journaled), {@link ArithmeticException} (counter overflow; nothing journaled),
 * {@link StoreUnavailableException} (the backend cannot be reached or written; nothing changed,
 * except where its message says the outcome is unknown), and whatever the journal threw.
 */
public interface StateStore extends AutoCloseable {
    /** The tenant's counter (0 when never added to). */
    long sum(String tenant);

    Optional<String> get(String tenant, String key);

    /**
     * Keys starting with {@code prefix} (literally: no wildcards), in code point order
     * ({@link StoredText#ORDER}, the order of their UTF-8 bytes), at most {@code limit}.
     */
    List<String> keys(String tenant, String prefix, int limit);

    /** What the tenant holds: entries, and bytes of keys and values (UTF-8). */
    Usage usage(String tenant);

    /** Adds {@code delta} to the tenant's counter and returns the new total. */
    long add(String tenant, long delta, WriteAhead journal);

    /** Creates or replaces an entry, if the tenant stays within {@code quota}. */
    void set(String tenant, String key, String value, Quota quota, WriteAhead journal);

    /** Removes an entry; false (and nothing journaled) when there was none. */
    boolean delete(String tenant, String key, WriteAhead journal);

    /** For an application's own code: a change nobody journals, under the default quota. */
    default long add(String tenant, long delta) {
        return add(tenant, delta, WriteAhead.NONE);
    }

    /** For an application's own code: a change nobody journals, under the default quota. */
    default void set(String tenant, String key, String value) {
        set(tenant, key, value, Quota.DEFAULT, WriteAhead.NONE);
    }

    /** For an application's own code: a change nobody journals. */
    default boolean delete(String tenant, String key) {
        return delete(tenant, key, WriteAhead.NONE);
    }

    /** Releases files and connections; the default does nothing. */
    @Override
    default void close() {}
}
