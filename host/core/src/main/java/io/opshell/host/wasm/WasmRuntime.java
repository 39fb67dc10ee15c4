package io.opshell.host.wasm;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server's engine with what opshell adds around it, engine-neutral: the count of live shell
 * instances, the soft-deadline watch — a {@link DeadlineWatch} that asks every guest call still
 * running at its soft deadline to stop; the hard deadline is the engine's own — and the instance
 * pools' refill thread ({@link InstancePool}). Modules and instances made from it must be closed
 * before it is.
 */
public final class WasmRuntime implements AutoCloseable {
    /** Pool fills waiting for the refill thread; one per shell is all a server has. */
    private static final int MAX_QUEUED_FILLS = 64;

    private final WasmEngine engine;
    private final int poolSize;
    /** One thread, bounded queue: refilling never competes with sessions for more than one core. */
    private final ThreadPoolExecutor refiller;
    private final AtomicInteger liveInstances = new AtomicInteger();
    private final AtomicInteger pooledInstances = new AtomicInteger();
    private final DeadlineWatch softDeadlines = new DeadlineWatch("opshell-soft-deadlines");
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

    /** The watch that asks guest calls to stop at their soft deadlines. */
    DeadlineWatch softDeadlines() {
        return softDeadlines;
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
        softDeadlines.close();
        try {
            refiller.awaitTermination(InstancePool.SETUP_DEADLINE.toMillis() * 5, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.close();
    }
}
