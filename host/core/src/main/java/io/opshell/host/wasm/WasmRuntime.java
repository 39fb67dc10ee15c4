package io.opshell.host.wasm;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A server's engine with what opshell adds around it, engine-neutral: the count of live shell
 * instances, the soft-deadline watch — a ticker that asks every guest call still running at
 * its soft deadline to stop ({@link ShellInstance#checkSoftDeadline}); the hard deadline is the
 * engine's own — and the instance pools' refill thread ({@link InstancePool}). Modules and
 * instances made from it must be closed before it is.
 */
public final class WasmRuntime implements AutoCloseable {
    /** How often the soft deadlines are checked; a soft interrupt comes at most this late. */
    static final Duration WATCH_TICK = Duration.ofMillis(5);
    /** Pool fills waiting for the refill thread; one per shell is all a server has. */
    private static final int MAX_QUEUED_FILLS = 64;

    private final WasmEngine engine;
    private final int poolSize;
    /** One thread, bounded queue: refilling never competes with sessions for more than one core. */
    private final ThreadPoolExecutor refiller;
    private final AtomicInteger liveInstances = new AtomicInteger();
    private final AtomicInteger pooledInstances = new AtomicInteger();
    /** Instances inside a guest call. */
    private final Set<ShellInstance> running = ConcurrentHashMap.newKeySet();
    private final Thread watch;
    private volatile boolean closed;

    /** A runtime without instance pools: every instance is made when a session asks for it. */
    public WasmRuntime(WasmEngine engine) {
        this(engine, 0);
    }

    /**
     * @param poolSize instances of each shell kept ready ahead of demand (0: none)
     */
    public WasmRuntime(WasmEngine engine, int poolSize) {
        if (poolSize < 0) {
            throw new IllegalArgumentException("pool size must be 0 or more");
        }
        this.engine = engine;
        this.poolSize = poolSize;
        long stack = engine.guestThreadStackBytes();
        // The refill thread runs guest code (constructors, buffer setup), so it gets the engine's stack.
        this.refiller = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED_FILLS),
                r -> Thread.ofPlatform().daemon().name("opshell-pool-refill").stackSize(stack).unstarted(r),
                new ThreadPoolExecutor.AbortPolicy());
        this.refiller.allowCoreThreadTimeOut(true);
        this.watch = Thread.ofPlatform().daemon().name("opshell-soft-deadlines").start(this::watch);
    }

    private void watch() {
        long tick = WATCH_TICK.toNanos();
        while (!closed) {
            LockSupport.parkNanos(tick);
            long now = System.nanoTime();
            for (ShellInstance instance : running) {
                instance.checkSoftDeadline(now);
            }
        }
    }

    public WasmEngine engine() {
        return engine;
    }

    /** Shell instances given to sessions and not yet closed (pooled ones not counted). */
    public int liveInstances() {
        return liveInstances.get();
    }

    /** Instances waiting in the pools. */
    public int pooledInstances() {
        return pooledInstances.get();
    }

    /** Instances of each shell kept ready (0: no pools). */
    public int poolSize() {
        return poolSize;
    }

    /** Queues a pool fill on the refill thread; false when it cannot be queued (closed, or the queue is full). */
    boolean refill(Runnable fill) {
        if (closed) {
            return false;
        }
        try {
            refiller.execute(fill);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    void pooledAdded() {
        pooledInstances.incrementAndGet();
    }

    void pooledTaken() {
        pooledInstances.decrementAndGet();
    }

    void callStarted(ShellInstance instance) {
        running.add(instance);
    }

    void callEnded(ShellInstance instance) {
        running.remove(instance);
    }

    void instanceOpened() {
        liveInstances.incrementAndGet();
    }

    void instanceClosed() {
        liveInstances.decrementAndGet();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        refiller.shutdown();
        LockSupport.unpark(watch);
        try {
            watch.join();
            refiller.awaitTermination(InstancePool.SETUP_DEADLINE.toMillis() * 5, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.close();
    }
}
