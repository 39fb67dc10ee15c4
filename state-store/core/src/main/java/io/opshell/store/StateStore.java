package io.opshell.store;

import java.util.List;
import java.util.Optional;

/**
 * The application state operators work on: per tenant, one counter and a map of text entries.
 * Implementations serialize every operation under one lock, and never call out while holding it.
 */
public interface StateStore {
    /** Adds {@code delta} to the tenant's counter and returns the new total; overflow throws {@link ArithmeticException}. */
    long add(String tenant, long delta);

    /** The tenant's counter (0 when never added to). */
    long sum(String tenant);

    Optional<String> get(String tenant, String key);

    /** Creates or replaces an entry; throws {@link QuotaExceededException} when the tenant is full. */
    void set(String tenant, String key, String value);

    /** Removes an entry; false when there was none. */
    boolean delete(String tenant, String key);

    /** Keys starting with {@code prefix}, in lexicographic order, at most {@code limit} of them. */
    List<String> keys(String tenant, String prefix, int limit);
}
