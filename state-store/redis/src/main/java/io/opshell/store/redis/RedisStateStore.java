package io.opshell.store.redis;

import io.opshell.store.Change;
import io.opshell.store.Quota;
import io.opshell.store.QuotaExceededException;
import io.opshell.store.StateStore;
import io.opshell.store.StoreUnavailableException;
import io.opshell.store.StoredText;
import io.opshell.store.Usage;
import io.opshell.store.WriteAhead;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.DefaultJedisSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A {@link StateStore} in Redis (specs in {@link RedisSpec}), shared by every opshell host of a
 * fleet. Keys per tenant are laid out in {@link TenantKeys}; listing by prefix reads the tenant's
 * sorted-set index with ZRANGEBYLEX, never the keyspace.
 *
 * <p>A change is write-ahead across hosts: read the current value (and usage), check the quota,
 * journal the change, then apply it with a script ({@link Scripts}) that makes it only if the value
 * is still the one read and the quota still holds. If another host changed it in between, the
 * journal is told {@link WriteAhead#abandoned} ({@value #CONFLICT}) and the change is tried again
 * from what the script found, with a fresh record and a randomized back-off, for up to
 * {@value #CONFLICT_WAIT_MILLIS} ms (a time, not a count of attempts: on a busy machine a host
 * lost 32 races in a row to another that changed the same counter without pause). Within this
 * host, changes to one entry or counter take turns ({@link KeyLocks}), so only other hosts ever
 * conflict.
 *
 * <p>Failures: every Redis call has a connect and a read timeout ({@value #CONNECT_TIMEOUT_MILLIS},
 * {@value #READ_TIMEOUT_MILLIS} ms), so a Redis that is down or hung gives
 * {@link StoreUnavailableException} naming it, never a hang. A connection lost while a change was
 * on its way leaves its outcome unknown: the journal is told {@link WriteAhead#outcomeUnknown}.
 */
public final class RedisStateStore implements StateStore {
    static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    static final int READ_TIMEOUT_MILLIS = 2_000;
    /** Connections kept to Redis; a host with more concurrent state calls than this waits for one. */
    static final int POOL_SIZE = 32;
    /** How long a call waits for a free connection before it gives up as unavailable. */
    static final long POOL_WAIT_MILLIS = 2_000;
    /** How long one change is tried again while other hosts keep changing the same value. */
    static final long CONFLICT_WAIT_MILLIS = 2_000;
    /** Retries made at once after a conflict, before backing off. */
    static final int IMMEDIATE_RETRIES = 4;
    static final long FIRST_BACKOFF_MICROS = 50;
    static final long MAX_BACKOFF_MICROS = 5_000;
    /** Reads are tried on a fresh connection once: a pooled one may predate a Redis restart. */
    static final int READ_ATTEMPTS = 2;
    static final String CONFLICT = "changed by another host";

    private static final byte[] ALL_MIN = {'-'};
    private static final byte[] ALL_MAX = {'+'};
    /** A byte no UTF-8 text contains: prefix + 0xFF is above every key that starts with prefix. */
    private static final byte NOT_UTF8 = (byte) 0xFF;

    private final RedisSpec spec;
    private final ConnectionPool pool;
    private final KeyLocks locks = new KeyLocks();

    private RedisStateStore(RedisSpec spec, ConnectionPool pool) {
        this.spec = spec;
        this.pool = pool;
    }

    /**
     * Connects (and checks Redis answers).
     *
     * @param durable refuse unless Redis forces every write to disk before answering
     *                ({@code appendonly yes}, {@code appendfsync always})
     * @throws StoreUnavailableException when Redis cannot be reached or is not durable as asked
     */
    public static RedisStateStore open(RedisSpec spec, boolean durable) {
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(CONNECT_TIMEOUT_MILLIS)
                .socketTimeoutMillis(READ_TIMEOUT_MILLIS)
                .database(spec.database())
                .clientName("opshell");
        spec.user().ifPresent(config::user);
        spec.password().ifPresent(config::password);
        JedisClientConfig client = config.build();
        JedisSocketFactory sockets = spec.socket().isPresent()
                ? new UnixSocketFactory(spec.socket().get(), CONNECT_TIMEOUT_MILLIS, READ_TIMEOUT_MILLIS)
                : new DefaultJedisSocketFactory(new HostAndPort(spec.host(), spec.port()), client);
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(POOL_SIZE);
        poolConfig.setMaxIdle(POOL_SIZE);
        poolConfig.setMaxWait(java.time.Duration.ofMillis(POOL_WAIT_MILLIS));
        poolConfig.setJmxEnabled(false);
        RedisStateStore store = new RedisStateStore(spec, new ConnectionPool(new ConnectionFactory(sockets, client), poolConfig));
        try {
            store.check(durable);
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private void check(boolean durable) {
        read("connect", Jedis::ping);
        if (!durable) {
            return;
        }
        Map<String, String> config = read("check durability", j -> j.configGet("appendonly", "appendfsync"));
        if (!"yes".equals(config.get("appendonly")) || !"always".equals(config.get("appendfsync"))) {
            throw new StoreUnavailableException(spec.where() + " does not force writes to disk (appendonly "
                    + config.get("appendonly") + ", appendfsync " + config.get("appendfsync")
                    + "); set appendonly yes and appendfsync always in its configuration, or run without --fsync");
        }
    }

    /** Where the store is, for messages. */
    public RedisSpec spec() {
        return spec;
    }

    private TenantKeys keys(String tenant) {
        return TenantKeys.of(spec.prefix(), tenant);
    }

    // ---- reads ----

    @Override
    public long sum(String tenant) {
        byte[] raw = read("sum", j -> j.get(keys(tenant).counter()));
        return raw == null ? 0 : Long.parseLong(text(raw));
    }

    @Override
    public Optional<String> get(String tenant, String key) {
        byte[] raw = read("get", j -> j.hget(keys(tenant).kv(), utf8(key)));
        return raw == null ? Optional.empty() : Optional.of(text(raw));
    }

    @Override
    public Usage usage(String tenant) {
        List<?> answer = read("usage", j -> Scripts.USAGE.run(j, keys(tenant).entryKeys(), List.of()));
        return new Usage((Long) answer.get(0), (Long) answer.get(1));
    }

    @Override
    public List<String> keys(String tenant, String prefix, int limit) {
        byte[] min = ALL_MIN, max = ALL_MAX;
        if (!prefix.isEmpty()) {
            byte[] p = utf8(prefix);
            min = new byte[p.length + 1];
            min[0] = '[';
            System.arraycopy(p, 0, min, 1, p.length);
            max = Arrays.copyOf(min, p.length + 2);
            max[0] = '(';
            max[p.length + 1] = NOT_UTF8;
        }
        byte[] from = min, to = max;
        List<byte[]> raw = read("keys", j -> j.zrangeByLex(keys(tenant).index(), from, to, 0, limit));
        List<String> out = new ArrayList<>(raw.size());
        for (byte[] k : raw) {
            out.add(text(k));
        }
        return out;
    }

    // ---- changes ----

    /** An entry as a script saw it: whether it exists, its value, and the tenant's usage. */
    private record Seen(boolean exists, byte[] value, long entries, long bytes) {
        static Seen of(List<?> answer, int from) {
            boolean exists = (Long) answer.get(from) == 1;
            long entries = answer.size() > from + 2 ? (Long) answer.get(from + 2) : 0;
            long bytes = answer.size() > from + 3 ? (Long) answer.get(from + 3) : 0;
            return new Seen(exists, (byte[]) answer.get(from + 1), entries, bytes);
        }

        Optional<String> text() {
            return exists ? Optional.of(RedisStateStore.text(value)) : Optional.empty();
        }
    }

    @Override
    public long add(String tenant, long delta, WriteAhead journal) {
        TenantKeys k = keys(tenant);
        ReentrantLock lock = locks.of(tenant, null);
        lock.lock();
        try (Opened<byte[]> c = connection("add", j -> j.get(k.counter()))) {
            long before = c.first() == null ? 0 : Long.parseLong(text(c.first()));
            long started = System.nanoTime();
            for (int attempt = 1; ; attempt++) {
                long after = Math.addExact(before, delta);
                Change change = new Change.Counter(tenant, before, after);
                journal.record(change);
                List<byte[]> args = List.of(utf8(Long.toString(before)), utf8(Long.toString(after)));
                List<?> answer = apply(c.redis(), "add", change, journal, j -> Scripts.ADD_IF.run(j, List.of(k.counter()), args));
                if (outcome(answer).equals("ok")) {
                    return after;
                }
                journal.abandoned(change, CONFLICT);
                byte[] now = backOff("add", attempt, started) ? reread(c.redis(), "add", j -> j.get(k.counter())) : (byte[]) answer.get(1);
                before = now == null ? 0 : Long.parseLong(text(now));
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void set(String tenant, String key, String value, Quota quota, WriteAhead journal) {
        TenantKeys k = keys(tenant);
        byte[] kb = utf8(key), vb = utf8(value);
        ReentrantLock lock = locks.of(tenant, key);
        lock.lock();
        try (Opened<List<?>> c = connection("set", j -> Scripts.READ_ENTRY.run(j, k.entryKeys(), List.of(kb)))) {
            Seen seen = Seen.of(c.first(), 0);
            long started = System.nanoTime();
            for (int attempt = 1; ; attempt++) {
                long growth = seen.exists() ? vb.length - seen.value().length : kb.length + vb.length;
                quota.admit(tenant, new Usage(seen.entries(), seen.bytes()), !seen.exists(), growth);
                Change change = new Change.Entry(tenant, key, seen.text(), Optional.of(value));
                journal.record(change);
                List<byte[]> args = List.of(kb, utf8(seen.exists() ? "1" : "0"), seen.value(), vb,
                        utf8(Long.toString(quota.maxEntries())), utf8(Long.toString(quota.maxBytes())));
                List<?> answer = apply(c.redis(), "set", change, journal, j -> Scripts.SET_IF.run(j, k.entryKeys(), args));
                switch (outcome(answer)) {
                    case "ok" -> {
                        return;
                    }
                    case "entries" -> {
                        journal.abandoned(change, "tenant full");
                        throw QuotaExceededException.full(tenant, (Long) answer.get(1), quota.maxEntries(), "entries");
                    }
                    case "bytes" -> {
                        journal.abandoned(change, "tenant full");
                        throw QuotaExceededException.full(tenant, (Long) answer.get(1), quota.maxBytes(), "bytes");
                    }
                    default -> {
                        journal.abandoned(change, CONFLICT);
                        seen = backOff("set", attempt, started)
                                ? Seen.of(reread(c.redis(), "set", j -> Scripts.READ_ENTRY.run(j, k.entryKeys(), List.of(kb))), 0)
                                : Seen.of(answer, 1);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean delete(String tenant, String key, WriteAhead journal) {
        TenantKeys k = keys(tenant);
        byte[] kb = utf8(key);
        ReentrantLock lock = locks.of(tenant, key);
        lock.lock();
        try (Opened<List<?>> c = connection("del", j -> Scripts.READ_ENTRY.run(j, k.entryKeys(), List.of(kb)))) {
            Seen seen = Seen.of(c.first(), 0);
            long started = System.nanoTime();
            for (int attempt = 1; ; attempt++) {
                if (!seen.exists()) {
                    return false;
                }
                Change change = new Change.Entry(tenant, key, seen.text(), Optional.empty());
                journal.record(change);
                List<byte[]> args = List.of(kb, seen.value());
                List<?> answer = apply(c.redis(), "del", change, journal, j -> Scripts.DELETE_IF.run(j, k.entryKeys(), args));
                if (outcome(answer).equals("ok")) {
                    return true;
                }
                journal.abandoned(change, CONFLICT);
                seen = backOff("del", attempt, started)
                        ? Seen.of(reread(c.redis(), "del", j -> Scripts.READ_ENTRY.run(j, k.entryKeys(), List.of(kb))), 0)
                        : Seen.of(answer, 1);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- connections and failures ----

    /** A connection held for one change, and what its first read returned. */
    private record Opened<T>(Jedis redis, T first) implements AutoCloseable {
        @Override
        public void close() {
            redis.close();
        }
    }

    /**
     * A connection on which {@code firstRead} succeeded, so it is known to work before anything is
     * journaled; a pooled connection that fails that read (Redis restarted) is replaced once.
     */
    private <T> Opened<T> connection(String operation, Function<Jedis, T> firstRead) {
        for (int attempt = 1; ; attempt++) {
            Jedis redis;
            try {
                redis = borrow();
            } catch (JedisException e) {
                throw unavailable(operation, e);
            }
            try {
                return new Opened<>(redis, firstRead.apply(redis));
            } catch (JedisConnectionException e) {
                redis.close();
                if (attempt >= READ_ATTEMPTS) {
                    throw unavailable(operation, e);
                }
            } catch (JedisException e) {
                redis.close();
                throw unavailable(operation, e);
            }
        }
    }

    /** Reads again on the change's connection, between attempts (nothing is journaled then). */
    private <T> T reread(Jedis redis, String operation, Function<Jedis, T> read) {
        try {
            return read.apply(redis);
        } catch (JedisException e) {
            throw unavailable(operation, e);
        }
    }

    /** Runs a change script; a connection lost now leaves the change's outcome unknown. */
    private List<?> apply(Jedis redis, String operation, Change change, WriteAhead journal, Function<Jedis, List<?>> script) {
        try {
            return script.apply(redis);
        } catch (JedisConnectionException e) {
            String why = spec.where() + " stopped answering during " + operation + " (" + e.getMessage() + ")";
            journal.outcomeUnknown(change, why);
            throw new StoreUnavailableException(why + "; the change may or may not have been made", e);
        } catch (JedisException e) {
            journal.abandoned(change, "redis refused it: " + e.getMessage());
            throw unavailable(operation, e);
        }
    }

    private <T> T read(String operation, Function<Jedis, T> body) {
        for (int attempt = 1; ; attempt++) {
            try (Jedis redis = borrow()) {
                return body.apply(redis);
            } catch (JedisConnectionException e) {
                if (attempt >= READ_ATTEMPTS) {
                    throw unavailable(operation, e);
                }
            } catch (JedisException e) {
                throw unavailable(operation, e);
            }
        }
    }

    /** A pooled connection; closing the Jedis returns it (or drops it, when it broke). */
    private Jedis borrow() {
        return new Jedis(pool.getResource());
    }

    /**
     * After a conflict: the first few retries go at once, from the value the script found (it is
     * as fresh as a read); later ones first wait a random, growing while, and then the caller must
     * read again (returns true), since what the script found has aged meanwhile.
     */
    private boolean backOff(String operation, int attempt, long startedNanos) {
        if (System.nanoTime() - startedNanos >= TimeUnit.MILLISECONDS.toNanos(CONFLICT_WAIT_MILLIS)) {
            throw new StoreUnavailableException(spec.where() + ": " + operation + " gave up after " + attempt
                    + " attempts in " + CONFLICT_WAIT_MILLIS + " ms: other hosts kept changing the same value; nothing was changed, try again");
        }
        if (attempt < IMMEDIATE_RETRIES) {
            return false;
        }
        long cap = Math.min(MAX_BACKOFF_MICROS, FIRST_BACKOFF_MICROS << Math.min(attempt - IMMEDIATE_RETRIES, 20));
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextLong(cap + 1)));
        return true;
    }

    private StoreUnavailableException unavailable(String operation, JedisException e) {
        String why = e instanceof JedisConnectionException ? "unreachable" : "failed";
        return new StoreUnavailableException(spec.where() + " " + why + " (" + operation + "): " + e.getMessage(), e);
    }

    private static String outcome(List<?> answer) {
        return text((byte[]) answer.get(0));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        pool.close();
    }
}
