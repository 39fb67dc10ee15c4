package io.opshell.store.redis;

import io.opshell.store.StateStore;
import io.opshell.store.StateStoreProvider;

/** Makes {@link RedisStateStore}s from {@code redis://…} and {@code redis+unix://…} specs ({@link RedisSpec}). */
public final class RedisStoreProvider implements StateStoreProvider {
    @Override
    public String forms() {
        return "redis://HOST:PORT[/DB], redis+unix:///PATH[?db=N]";
    }

    @Override
    public boolean accepts(String spec) {
        return RedisSpec.accepts(spec);
    }

    @Override
    public StateStore open(String spec, boolean durable) {
        return RedisStateStore.open(RedisSpec.parse(spec), durable);
    }
}
