package io.opshell.store.sqlite;

import io.opshell.store.StateStore;
import io.opshell.store.StateStoreProvider;
import java.nio.file.Path;

/** Makes {@link SqliteStateStore}s from {@code sqlite:PATH} (found by {@link java.util.ServiceLoader}). */
public final class SqliteStoreProvider implements StateStoreProvider {
    static final String SCHEME = "sqlite:";

    @Override
    public String forms() {
        return "sqlite:PATH";
    }

    @Override
    public boolean accepts(String spec) {
        return spec.startsWith(SCHEME);
    }

    @Override
    public StateStore open(String spec, boolean durable) {
        String file = spec.substring(SCHEME.length());
        if (file.isBlank()) {
            throw new IllegalArgumentException("'" + spec + "' names no file; use sqlite:PATH, e.g. sqlite:/var/lib/myapp/opshell-state.db");
        }
        return SqliteStateStore.open(Path.of(file), durable);
    }
}
