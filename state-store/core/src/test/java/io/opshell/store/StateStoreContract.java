package io.opshell.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link StateStore} promises, run against each backend by a subclass that says how to
 * open it: counters and their overflow, tenants kept apart, prefix listing (order, limit, prefixes
 * that are SQL wildcards or beyond the BMP), quotas by entries and by bytes with their messages,
 * the journal seeing exactly what changes and vetoing it, and exact results under concurrency.
 * Published in this module's test-jar. A behaviour all backends share is changed here first.
 */
public abstract class StateStoreContract {
    /** Threads in the concurrency tests. */
    protected static final int THREADS = 8;
    /** Counter adds per thread in the concurrency tests. */
    protected static final int ADDS_PER_THREAD = 500;

    protected StateStore store;
    private final List<StateStore> extra = new ArrayList<>();

    /** A fresh, empty store. */
    protected abstract StateStore newStore() throws Exception;

    /**
     * The store last made by {@link #newStore()}, opened again after it was closed, with its data;
     * null when the backend keeps nothing (then the durability tests are skipped).
     */
    protected StateStore reopen() throws Exception {
        return null;
    }

    /**
     * A second store on the same data as the one from {@link #newStore()}, open at the same time
     * (another process or host); null when the backend cannot share (tests are skipped).
     */
    protected StateStore anotherHandle() throws Exception {
        return null;
    }

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStores() {
        for (StateStore s : extra) {
            s.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** A journal that remembers what it was told, and can be told to refuse. */
    protected static final class Journal implements WriteAhead {
        final List<Change> recorded = new CopyOnWriteArrayList<>();
        final List<Change> abandoned = new CopyOnWriteArrayList<>();
        final List<String> reasons = new CopyOnWriteArrayList<>();
        volatile RuntimeException veto;

        @Override
        public void record(Change change) {
            if (veto != null) {
                throw veto;
            }
            recorded.add(change);
        }

        @Override
        public void abandoned(Change change, String reason) {
            abandoned.add(change);
            reasons.add(reason);
        }

        /** What was recorded and not abandoned: the changes made. */
        List<Change> made() {
            List<Change> made = new ArrayList<>(recorded);
            for (Change c : abandoned) {
                made.remove(c);
            }
            return made;
        }
    }

    private static final Quota ROOMY = new Quota(1_000_000, 1L << 30);

    // ---- counter ----

    @Test
    void counterStartsAtZeroAddsAndRefusesOverflowWithoutJournaling() {
        Journal j = new Journal();
        assertThat(store.sum("t")).isZero();
        assertThat(store.add("t", 2, j)).isEqualTo(2);
        assertThat(store.add("t", -5, j)).isEqualTo(-3);
        assertThat(store.add("t", Long.MAX_VALUE, j)).isEqualTo(Long.MAX_VALUE - 3);
        assertThat(store.add("t", 3, j)).isEqualTo(Long.MAX_VALUE);
        int records = j.recorded.size();
        assertThatThrownBy(() -> store.add("t", 1, j)).isInstanceOf(ArithmeticException.class);
        assertThat(store.sum("t")).isEqualTo(Long.MAX_VALUE);
        assertThat(store.add("t", Long.MIN_VALUE, j)).isEqualTo(-1);
        assertThat(store.add("t", Long.MIN_VALUE + 1, j)).isEqualTo(Long.MIN_VALUE);
        assertThatThrownBy(() -> store.add("t", -1, j)).isInstanceOf(ArithmeticException.class);
        assertThat(store.sum("t")).isEqualTo(Long.MIN_VALUE);
        assertThat(j.recorded).hasSize(records + 2);
    }

    @Test
    void addingZeroIsAChangeOfNothing() {
        Journal j = new Journal();
        store.add("t", 4, j);
        assertThat(store.add("t", 0, j)).isEqualTo(4);
        assertThat(j.recorded).containsExactly(new Change.Counter("t", 0, 4), new Change.Counter("t", 4, 4));
    }

    // ---- the journal ----

    @Test
    void journalSeesExactlyWhatChanges() {
        Journal j = new Journal();
        store.set("t", "k", "one", ROOMY, j);
        store.set("t", "k", "two", ROOMY, j);
        assertThat(store.delete("t", "k", j)).isTrue();
        assertThat(store.delete("t", "k", j)).isFalse();
        assertThat(store.delete("t", "never", j)).isFalse();
        store.add("t", 7, j);
        store.add("t", -2, j);
        assertThat(j.recorded).containsExactly(
                new Change.Entry("t", "k", Optional.empty(), Optional.of("one")),
                new Change.Entry("t", "k", Optional.of("one"), Optional.of("two")),
                new Change.Entry("t", "k", Optional.of("two"), Optional.empty()),
                new Change.Counter("t", 0, 7),
                new Change.Counter("t", 7, 5));
        assertThat(j.abandoned).isEmpty();
    }

    @Test
    void journalVetoLeavesStateUnchanged() {
        store.set("t", "old", "kept", ROOMY, WriteAhead.NONE);
        store.add("t", 10, WriteAhead.NONE);
        Usage before = store.usage("t");
        Journal j = new Journal();
        IllegalStateException veto = new IllegalStateException("audit log unavailable");
        j.veto = veto;

        assertThatThrownBy(() -> store.set("t", "new", "value", ROOMY, j)).isSameAs(veto);
        assertThatThrownBy(() -> store.set("t", "old", "replaced", ROOMY, j)).isSameAs(veto);
        assertThatThrownBy(() -> store.delete("t", "old", j)).isSameAs(veto);
        assertThatThrownBy(() -> store.add("t", 5, j)).isSameAs(veto);

        assertThat(store.get("t", "new")).isEmpty();
        assertThat(store.get("t", "old")).contains("kept");
        assertThat(store.sum("t")).isEqualTo(10);
        assertThat(store.keys("t", "", 10)).containsExactly("old");
        assertThat(store.usage("t")).isEqualTo(before);

        j.veto = null;
        store.set("t", "new", "value", ROOMY, j);
        assertThat(store.get("t", "new")).contains("value");
        assertThat(store.usage("t")).isEqualTo(new Usage(2, before.bytes() + 3 + 5));
    }

    // ---- entries and tenants ----

    @Test
    void tenantsAreSeparate() {
        store.set("a", "k", "in a");
        store.add("a", 7);
        assertThat(store.get("b", "k")).isEmpty();
        assertThat(store.sum("b")).isZero();
        assertThat(store.keys("b", "", 10)).isEmpty();
        assertThat(store.usage("b")).isEqualTo(Usage.EMPTY);
        assertThat(store.delete("b", "k")).isFalse();
        store.set("b", "k", "in b");
        assertThat(store.get("a", "k")).contains("in a");
        assertThat(store.get("b", "k")).contains("in b");
        assertThat(store.sum("a")).isEqualTo(7);
    }

    @Test
    void valuesRoundTripExactly() {
        String big = "x".repeat(64 * 1024 - 2) + "é"; // 64 KiB, the largest value a shell may set
        List<String> values = List.of("", " leading and trailing ", "line one\nline two", "tab\there", "héllo wörld",
                "日本語のテキスト", "emoji \uD83D\uDE00 and \uD83C\uDF89", "quote ' and \" and \\", "%_*?[]", big);
        for (int i = 0; i < values.size(); i++) {
            store.set("t", "v" + i, values.get(i));
        }
        for (int i = 0; i < values.size(); i++) {
            assertThat(store.get("t", "v" + i)).as("value %d", i).contains(values.get(i));
        }
    }

    /** Keys chosen to break LIKE-based, UTF-16-ordered or U+FFFF-bounded listings. */
    private static final List<String> AWKWARD_KEYS = List.of(
            "a", "A", "a%", "a%b", "a_", "a_b", "ab", "abc", "aé", "a\u00ff", "a\uFFFF", "a\uFFFFz", "a\uD83D\uDE00",
            "a\uD83D\uDE00b", "a\uE000", "b", "%", "%%", "_x", "日本", "日本語", "\uDBFF\uDFFF", "\uDBFF\uDFFFa", "z\\");

    private static List<String> expected(String prefix, int limit) {
        List<String> out = new ArrayList<>(AWKWARD_KEYS.stream().filter(k -> k.startsWith(prefix)).toList());
        out.sort(StoredText.ORDER);
        return out.subList(0, Math.min(limit, out.size()));
    }

    @Test
    void keysAreListedByPrefixInCodePointOrder() {
        List<String> shuffled = new ArrayList<>(AWKWARD_KEYS);
        Collections.shuffle(shuffled, new java.util.Random(9));
        for (String k : shuffled) {
            store.set("t", k, "v");
        }
        store.set("other", "a-other-tenant", "v");
        for (String prefix : List.of("", "a", "a%", "a_", "%", "_", "ab", "a\u00e9", "a\uFFFF", "a\uD83D\uDE00", "日",
                "日本", "\uDBFF\uDFFF", "z", "z\\", "nothing", "A")) {
            assertThat(store.keys("t", prefix, 100)).as("prefix '%s'", prefix).containsExactlyElementsOf(expected(prefix, 100));
        }
        assertThat(store.keys("t", "a", 100)).startsWith("a", "a%", "a%b", "a_", "a_b", "ab", "abc", "aé", "a\u00ff",
                "a\uE000", "a\uFFFF", "a\uFFFFz", "a\uD83D\uDE00", "a\uD83D\uDE00b");
    }

    @Test
    void keysAreLimited() {
        for (String k : AWKWARD_KEYS) {
            store.set("t", k, "v");
        }
        assertThat(store.keys("t", "a", 3)).containsExactlyElementsOf(expected("a", 3));
        assertThat(store.keys("t", "", 1)).containsExactlyElementsOf(expected("", 1));
        assertThat(store.keys("t", "", AWKWARD_KEYS.size())).containsExactlyElementsOf(expected("", AWKWARD_KEYS.size()));
    }

    // ---- quotas and usage ----

    @Test
    void usageCountsEntriesAndUtf8Bytes() {
        store.set("t", "k", "é");            // 1 + 2
        store.set("t", "日本", "\uD83D\uDE00"); // 6 + 4
        assertThat(store.usage("t")).isEqualTo(new Usage(2, 13));
        store.set("t", "k", "abcd");         // value 2 -> 4 bytes
        assertThat(store.usage("t")).isEqualTo(new Usage(2, 15));
        store.delete("t", "日本");
        assertThat(store.usage("t")).isEqualTo(new Usage(1, 5));
        store.delete("t", "k");
        assertThat(store.usage("t")).isEqualTo(new Usage(0, 0));
    }

    @Test
    void quotaByEntriesRefusesNewKeysButAllowsOverwriteAndDelete() {
        Quota three = new Quota(3, 1 << 20);
        Journal j = new Journal();
        store.set("t", "1", "x", three, j);
        store.set("t", "2", "x", three, j);
        store.set("t", "3", "x", three, j);
        assertThatThrownBy(() -> store.set("t", "4", "x", three, j))
                .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (3 of 3 entries)");
        assertThat(j.recorded).hasSize(3);
        store.set("t", "3", "y", three, j);
        assertThat(store.get("t", "3")).contains("y");
        assertThat(store.delete("t", "3", j)).isTrue();
        store.set("t", "4", "x", three, j);
        assertThat(store.keys("t", "", 10)).containsExactly("1", "2", "4");
        assertThat(store.get("t", "3")).isEmpty();
    }

    @Test
    void quotaByBytesRefusesGrowthWithItsMessage() {
        Quota small = new Quota(1000, 100);
        Journal j = new Journal();
        store.set("t", "k1", "v".repeat(90), small, j);          // 92 bytes
        assertThatThrownBy(() -> store.set("t", "k2", "v".repeat(7), small, j))
                .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (92 of 100 bytes)");
        store.set("t", "k2", "v".repeat(6), small, j);           // exactly 100
        assertThat(store.usage("t")).isEqualTo(new Usage(2, 100));
        assertThatThrownBy(() -> store.set("t", "k1", "v".repeat(91), small, j))
                .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (100 of 100 bytes)");
        store.set("t", "k1", "é".repeat(45), small, j);          // same size, other bytes: no growth
        store.set("t", "k1", "v", small, j);                     // shrinks
        assertThat(store.usage("t")).isEqualTo(new Usage(2, 11));
        assertThat(j.recorded).hasSize(4);
        assertThat(store.get("t", "k2")).contains("vvvvvv");
    }

    @Test
    void aTenantOverALoweredQuotaMayShrinkButNotGrow() {
        store.set("t", "k", "v".repeat(50), ROOMY, WriteAhead.NONE);
        store.set("t", "j", "v".repeat(50), ROOMY, WriteAhead.NONE);
        Quota lowered = new Quota(1, 10);
        store.set("t", "k", "v".repeat(20), lowered, WriteAhead.NONE);
        assertThatThrownBy(() -> store.set("t", "k", "v".repeat(21), lowered, WriteAhead.NONE))
                .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (72 of 10 bytes)");
        assertThatThrownBy(() -> store.set("t", "new", "", lowered, WriteAhead.NONE))
                .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (2 of 1 entries)");
        assertThat(store.delete("t", "j")).isTrue();
        assertThat(store.usage("t")).isEqualTo(new Usage(1, 21));
    }

    // ---- concurrency ----

    @Test
    void concurrentAddsAreExactAndEachIsJournaledOnce() throws Exception {
        Journal j = new Journal();
        runConcurrently(THREADS, i -> {
            for (int n = 0; n < ADDS_PER_THREAD; n++) {
                store.add("t", 1, j);
            }
        });
        int total = THREADS * ADDS_PER_THREAD;
        assertThat(store.sum("t")).isEqualTo(total);
        assertCountedOnce(j, total);
    }

    @Test
    void concurrentWritersStopExactlyAtTheEntryQuota() throws Exception {
        Quota quota = new Quota(THREADS * 10 + 3, 1L << 30);
        AtomicInteger refused = new AtomicInteger();
        runConcurrently(THREADS, i -> {
            for (int n = 0; n < 20; n++) {
                try {
                    store.set("t", "w" + i + "." + n, "v", quota, WriteAhead.NONE);
                } catch (QuotaExceededException e) {
                    refused.incrementAndGet();
                }
            }
        });
        assertThat(store.usage("t").entries()).isEqualTo(quota.maxEntries());
        assertThat(store.keys("t", "w", 1000)).hasSize((int) quota.maxEntries());
        assertThat(refused.get()).isEqualTo(THREADS * 20 - quota.maxEntries());
    }

    // ---- durability and sharing (backends that can) ----

    @Test
    void everythingSurvivesCloseAndReopen() throws Exception {
        store.set("t", "k", "v é");
        store.set("t", "gone", "x");
        store.delete("t", "gone");
        store.add("t", 41);
        store.add("u", -1);
        store.close();
        store = reopen();
        assumeTrue(store != null, "the backend keeps nothing");
        assertThat(store.get("t", "k")).contains("v é");
        assertThat(store.get("t", "gone")).isEmpty();
        assertThat(store.sum("t")).isEqualTo(41);
        assertThat(store.sum("u")).isEqualTo(-1);
        assertThat(store.usage("t")).isEqualTo(new Usage(1, 1 + 4));
        assertThat(store.add("t", 1)).isEqualTo(42);
    }

    @Test
    void twoHandlesOnTheSameDataAddExactlyAndShareOneQuota() throws Exception {
        StateStore second = anotherHandle();
        assumeTrue(second != null, "the backend cannot be shared");
        extra.add(second);
        Journal j = new Journal();
        Quota quota = new Quota(THREADS * 5 + 1, 1L << 30);
        AtomicInteger refused = new AtomicInteger();
        runConcurrently(THREADS, i -> {
            StateStore s = i % 2 == 0 ? store : second;
            for (int n = 0; n < ADDS_PER_THREAD; n++) {
                s.add("t", 1, j);
            }
            for (int n = 0; n < 10; n++) {
                try {
                    s.set("t", "w" + i + "." + n, "v", quota, WriteAhead.NONE);
                } catch (QuotaExceededException e) {
                    refused.incrementAndGet();
                }
            }
        });
        int total = THREADS * ADDS_PER_THREAD;
        assertThat(store.sum("t")).isEqualTo(total);
        assertThat(second.sum("t")).isEqualTo(total);
        assertCountedOnce(j, total);
        assertThat(store.usage("t").entries()).isEqualTo(quota.maxEntries());
        assertThat(refused.get()).isEqualTo(THREADS * 10 - quota.maxEntries());
        store.set("t", "from-first", "1");
        assertThat(second.get("t", "from-first")).contains("1");
    }

    /** The changes made (records not abandoned) are exactly the adds 0→1, 1→2, …, (total-1)→total. */
    private static void assertCountedOnce(Journal j, int total) {
        List<Change> made = j.made();
        assertThat(made).hasSize(total);
        boolean[] seen = new boolean[total];
        for (Change c : made) {
            Change.Counter counter = (Change.Counter) c;
            assertThat(counter.after()).isEqualTo(counter.before() + 1);
            assertThat(seen[(int) counter.before()]).as("two changes from %d", counter.before()).isFalse();
            seen[(int) counter.before()] = true;
        }
    }

    protected interface Worker {
        void run(int index) throws Exception;
    }

    /** Runs {@code threads} workers started together; rethrows the first failure. */
    protected static void runConcurrently(int threads, Worker worker) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                done.add(pool.submit(() -> {
                    start.await();
                    worker.run(index);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
