package io.opshell.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.opshell.store.Change;
import io.opshell.store.Quota;
import io.opshell.store.QuotaExceededException;
import io.opshell.store.StateStore;
import io.opshell.store.StateStoreContract;
import io.opshell.store.StateStores;
import io.opshell.store.StoreUnavailableException;
import io.opshell.store.Usage;
import io.opshell.store.WriteAhead;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The Redis store against a real redis-server on a private socket: the shared contract (each test
 * under its own key prefix), plus what only a store shared by hosts does: conflicts between hosts
 * abandoned and retried, the key layout, and Redis going away and coming back.
 */
class RedisStateStoreTest extends StateStoreContract {
    /** Generous bound for "fails instead of hanging": far above the store's own timeouts. */
    private static final Duration NO_HANG = Duration.ofSeconds(30);
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static RedisServer redis;
    private String prefix;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start("--enable-debug-command", "local"); // DEBUG SLEEP hangs it on purpose below
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @Override
    protected StateStore newStore() {
        prefix = "test" + TESTS.incrementAndGet() + ":";
        return StateStores.open(redis.spec(prefix), false);
    }

    @Override
    protected StateStore reopen() {
        return StateStores.open(redis.spec(prefix), false);
    }

    @Override
    protected StateStore anotherHandle() {
        return StateStores.open(redis.spec(prefix), false);
    }

    /** A journal that, on its first record, lets another host change the same value first. */
    private static final class RacingJournal implements WriteAhead {
        final List<Change> recorded = new ArrayList<>();
        final List<String> abandoned = new ArrayList<>();
        final Runnable otherHost;
        boolean raced;

        RacingJournal(Runnable otherHost) {
            this.otherHost = otherHost;
        }

        @Override
        public void record(Change change) {
            recorded.add(change);
            if (!raced) {
                raced = true;
                otherHost.run();
            }
        }

        @Override
        public void abandoned(Change change, String reason) {
            abandoned.add(reason);
        }
    }

    @Test
    void aChangeRacedByAnotherHostIsAbandonedAndRetriedWithAFreshRecord() throws Exception {
        try (StateStore other = anotherHandle()) {
            RacingJournal adds = new RacingJournal(() -> other.add("t", 100));
            assertThat(store.add("t", 1, adds)).isEqualTo(101);
            assertThat(adds.recorded).containsExactly(new Change.Counter("t", 0, 1), new Change.Counter("t", 100, 101));
            assertThat(adds.abandoned).containsExactly("changed by another host");

            store.set("t", "k", "mine");
            RacingJournal sets = new RacingJournal(() -> other.set("t", "k", "theirs"));
            store.set("t", "k", "again", Quota.DEFAULT, sets);
            assertThat(sets.recorded).containsExactly(
                    new Change.Entry("t", "k", Optional.of("mine"), Optional.of("again")),
                    new Change.Entry("t", "k", Optional.of("theirs"), Optional.of("again")));
            assertThat(sets.abandoned).containsExactly("changed by another host");
            assertThat(store.get("t", "k")).contains("again");

            RacingJournal dels = new RacingJournal(() -> other.delete("t", "k"));
            assertThat(store.delete("t", "k", dels)).isFalse();
            assertThat(dels.abandoned).containsExactly("changed by another host");
            assertThat(store.usage("t")).isEqualTo(Usage.EMPTY);
        }
    }

    @Test
    void aQuotaFilledByAnotherHostMeanwhileAbandonsTheRecord() throws Exception {
        try (StateStore other = anotherHandle()) {
            Quota one = new Quota(1, 1 << 20);
            RacingJournal j = new RacingJournal(() -> other.set("t", "theirs", "v", one, WriteAhead.NONE));
            assertThatThrownBy(() -> store.set("t", "mine", "v", one, j))
                    .isInstanceOf(QuotaExceededException.class).hasMessage("tenant t is full (1 of 1 entries)");
            assertThat(j.abandoned).containsExactly("tenant full");
            assertThat(store.keys("t", "", 10)).containsExactly("theirs");
        }
    }

    @Test
    void keysLiveUnderThePrefixWithAnIndexPerTenant() throws Exception {
        store.set("pay", "b", "2");
        store.set("pay", "a", "1");
        store.add("pay", 5);
        try (Jedis j = new Jedis(new UnixSocketFactory(redis.socket(), 1_000, 1_000))) {
            assertThat(j.keys(prefix + "*")).containsExactlyInAnyOrder(prefix + "{pay}:kv", prefix + "{pay}:index",
                    prefix + "{pay}:bytes", prefix + "{pay}:counter");
            assertThat(j.type(prefix + "{pay}:index")).isEqualTo("zset");
            assertThat(j.zrange(prefix + "{pay}:index", 0, -1)).containsExactly("a", "b");
            assertThat(j.get(prefix + "{pay}:counter")).isEqualTo("5");
            assertThat(j.get(prefix + "{pay}:bytes")).isEqualTo("4");
        }
    }

    @Test
    void redisDownIsUnavailableWithoutHangingAndRedisBackIsUsedAgain() throws Exception {
        store.set("t", "k", "v");
        redis.stop();
        try {
            assertTimeoutPreemptively(NO_HANG, () -> {
                assertThatThrownBy(() -> store.get("t", "k")).isInstanceOf(StoreUnavailableException.class)
                        .hasMessageStartingWith("redis+unix://" + redis.socket() + " unreachable (get): ");
                List<Change> recorded = new ArrayList<>();
                assertThatThrownBy(() -> store.set("t", "k", "w", Quota.DEFAULT, recorded::add))
                        .isInstanceOf(StoreUnavailableException.class);
                assertThatThrownBy(() -> store.add("t", 1, recorded::add)).isInstanceOf(StoreUnavailableException.class);
                assertThat(recorded).as("nothing journaled while Redis cannot be read").isEmpty();
                assertThatThrownBy(() -> StateStores.open(redis.spec("x:"), false))
                        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("unreachable (connect)");
            });
        } finally {
            redis.restart();
        }
        // The restarted Redis kept nothing (no persistence) and lost the script cache; the store carries on.
        assertThat(store.get("t", "k")).isEmpty();
        store.set("t", "k", "again");
        assertThat(store.add("t", 2)).isEqualTo(2);
        assertThat(store.get("t", "k")).contains("again");
    }

    @Test
    void aRedisThatHangsMidChangeLeavesTheOutcomeUnknownAndSaysSo() throws Exception {
        store.set("t", "k", "before");
        List<String> unknown = new ArrayList<>();
        WriteAhead journal = new WriteAhead() {
            @Override
            public void record(Change change) {
                // Redis stops answering for longer than the store's read timeout, right after this record.
                Thread.ofPlatform().start(() -> {
                    try (Jedis j = new Jedis(new UnixSocketFactory(redis.socket(), 1_000, 10_000))) {
                        j.sendCommand(() -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "SLEEP", "3");
                    } catch (RuntimeException e) {
                        // the assertions below fail if Redis did not hang
                    }
                });
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void outcomeUnknown(Change change, String reason) {
                unknown.add(reason);
            }
        };
        assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> store.set("t", "k", "after", Quota.DEFAULT, journal))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageStartingWith("redis+unix://" + redis.socket() + " stopped answering during set (")
                .hasMessageEndingWith("; the change may or may not have been made"));
        assertThat(unknown).hasSize(1);
        // Here Redis ran the change once it woke up: "unknown" was the truth, not "not made".
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!store.get("t", "k").equals(Optional.of("after")) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(store.get("t", "k")).contains("after");
    }

    @Test
    void fsyncIsRefusedUnlessRedisForcesWritesToDisk() {
        assertThatThrownBy(() -> StateStores.open(redis.spec("x:"), true))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessage("redis+unix://" + redis.socket() + " does not force writes to disk (appendonly no, appendfsync "
                        + "everysec); set appendonly yes and appendfsync always in its configuration, or run without --fsync");
    }

    @Test
    void specsAreParsedOrRefusedWithTheFormsToUse() {
        RedisSpec tcp = RedisSpec.parse("redis://:secret@10.1.2.3:6380/2?prefix=app:");
        assertThat(tcp.host()).isEqualTo("10.1.2.3");
        assertThat(tcp.port()).isEqualTo(6380);
        assertThat(tcp.database()).isEqualTo(2);
        assertThat(tcp.prefix()).isEqualTo("app:");
        assertThat(tcp.password()).contains("secret");
        assertThat(tcp.where()).isEqualTo("redis://10.1.2.3:6380 db 2");
        RedisSpec unix = RedisSpec.parse("redis+unix:///run/redis/redis.sock?db=1");
        assertThat(unix.socket()).contains(java.nio.file.Path.of("/run/redis/redis.sock"));
        assertThat(unix.database()).isEqualTo(1);
        assertThat(unix.prefix()).isEqualTo("opshell:");
        assertThat(RedisSpec.parse("redis://localhost").port()).isEqualTo(6379);
        for (String bad : Set.of("redis+unix://relative.sock", "redis://host:1/x", "redis+unix:///s?database=1",
                "redis://host?prefix={x}")) {
            assertThatThrownBy(() -> RedisSpec.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("bad redis store '" + bad + "': ")
                    .hasMessageEndingWith("; use redis://HOST:PORT[/DB] or redis+unix:///PATH[?db=N]");
        }
    }
}
