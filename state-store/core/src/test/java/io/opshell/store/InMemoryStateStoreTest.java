package io.opshell.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class InMemoryStateStoreTest {
    private final InMemoryStateStore store = new InMemoryStateStore();

    @Test
    void counterAddsAndReportsOverflow() {
        assertThat(store.sum("a")).isZero();
        assertThat(store.add("a", 2)).isEqualTo(2);
        assertThat(store.add("a", 3)).isEqualTo(5);
        assertThat(store.add("a", Long.MAX_VALUE - 5)).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> store.add("a", 1)).isInstanceOf(ArithmeticException.class);
        assertThat(store.sum("a")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void tenantsAreSeparate() {
        store.set("a", "k", "in a");
        store.add("a", 7);
        assertThat(store.get("b", "k")).isEmpty();
        assertThat(store.sum("b")).isZero();
        assertThat(store.keys("b", "", 10)).isEmpty();
        assertThat(store.delete("b", "k")).isFalse();
        assertThat(store.get("a", "k")).contains("in a");
    }

    @Test
    void keysArePrefixFilteredSortedAndLimited() {
        store.set("t", "b.2", "x");
        store.set("t", "a", "x");
        store.set("t", "b.1", "x");
        assertThat(store.keys("t", "", 10)).containsExactly("a", "b.1", "b.2");
        assertThat(store.keys("t", "b.", 10)).containsExactly("b.1", "b.2");
        assertThat(store.keys("t", "b.", 1)).containsExactly("b.1");
        assertThat(store.keys("t", "c", 10)).isEmpty();
    }

    @Test
    void quotaRefusesNewKeysButAllowsOverwriteAndDelete() {
        Quota three = new Quota(3, 1 << 20);
        store.set("t", "1", "x", three, WriteAhead.NONE);
        store.set("t", "2", "x", three, WriteAhead.NONE);
        store.set("t", "3", "x", three, WriteAhead.NONE);
        assertThatThrownBy(() -> store.set("t", "4", "x", three, WriteAhead.NONE))
                .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (3 of 3 entries)");
        store.set("t", "3", "y", three, WriteAhead.NONE);
        assertThat(store.get("t", "3")).contains("y");
        assertThat(store.delete("t", "3")).isTrue();
        store.set("t", "4", "x", three, WriteAhead.NONE);
        assertThat(store.keys("t", "", 10)).containsExactly("1", "2", "4");
    }

    @Test
    void concurrentAddsAreNotLost() throws Exception {
        InMemoryStateStore shared = new InMemoryStateStore();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                done.add(pool.submit(() -> {
                    for (int j = 0; j < 10_000; j++) {
                        shared.add("t", 1);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(shared.sum("t")).isEqualTo(80_000);
    }
}
