package io.opshell.host.metrics;

import io.opshell.store.Quota;
import io.opshell.store.StateStore;
import io.opshell.store.Usage;
import io.opshell.store.WriteAhead;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The store as sessions see it, counting and timing every call ({@code opshell.store.operations}).
 * The server wraps the application's store in this; the application's own calls on its store are
 * not counted. A method added to {@link StateStore} must be added here too (the compiler says so).
 */
public final class MeteredStateStore implements StateStore {
    private final StateStore store;
    private final OpshellMetrics metrics;

    public MeteredStateStore(StateStore store, OpshellMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    private <T> T timed(StoreOperation op, Supplier<T> call) {
        long start = System.nanoTime();
        boolean failed = true;
        try {
            T result = call.get();
            failed = false;
            return result;
        } finally {
            metrics.storeOperation(op, System.nanoTime() - start, failed);
        }
    }

    @Override
    public long sum(String tenant) {
        return timed(StoreOperation.SUM, () -> store.sum(tenant));
    }

    @Override
    public Optional<String> get(String tenant, String key) {
        return timed(StoreOperation.GET, () -> store.get(tenant, key));
    }

    @Override
    public List<String> keys(String tenant, String prefix, int limit) {
        return timed(StoreOperation.KEYS, () -> store.keys(tenant, prefix, limit));
    }

    @Override
    public Usage usage(String tenant) {
        return timed(StoreOperation.USAGE, () -> store.usage(tenant));
    }

    @Override
    public long add(String tenant, long delta, WriteAhead journal) {
        return timed(StoreOperation.ADD, () -> store.add(tenant, delta, journal));
    }

    @Override
    public void set(String tenant, String key, String value, Quota quota, WriteAhead journal) {
        timed(StoreOperation.SET, () -> {
            store.set(tenant, key, value, quota, journal);
            return null;
        });
    }

    @Override
    public boolean delete(String tenant, String key, WriteAhead journal) {
        return timed(StoreOperation.DELETE, () -> store.delete(tenant, key, journal));
    }

    /** The server closes the store it was given when it stops (OpshellServer.Builder#store). */
    @Override
    public void close() {
        store.close();
    }
}
