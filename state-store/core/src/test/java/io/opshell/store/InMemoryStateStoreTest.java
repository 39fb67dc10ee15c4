package io.opshell.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The in-memory store: the shared contract, and its own bound on all tenants together. */
class InMemoryStateStoreTest extends StateStoreContract {
    @Override
    protected StateStore newStore() {
        return new InMemoryStateStore();
    }

    @Test
    void theWholeStoreIsBoundedByBytesAcrossTenants() {
        InMemoryStateStore small = new InMemoryStateStore(100);
        small.set("a", "k", "v".repeat(59));                       // 60 bytes
        assertThatThrownBy(() -> small.set("b", "k", "v".repeat(40)))
                .isInstanceOf(QuotaExceededException.class)
                .hasMessage("the in-memory store is full (60 of 100 bytes for all tenants)");
        small.set("b", "k", "v".repeat(39));                       // exactly 100
        small.delete("a", "k");
        small.set("b", "j", "v".repeat(59));
        assertThat(small.usage("b")).isEqualTo(new Usage(2, 100));
    }

    @Test
    void openedFromItsSpec() {
        try (StateStore s = StateStores.open("memory", false)) {
            assertThat(s).isInstanceOf(InMemoryStateStore.class);
        }
        assertThatThrownBy(() -> StateStores.open("nosuch:thing", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("no state store for 'nosuch:thing'; use one of: memory");
    }
}
