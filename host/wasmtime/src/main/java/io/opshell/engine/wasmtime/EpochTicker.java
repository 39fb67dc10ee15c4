package io.opshell.engine.wasmtime;

import io.github.kawamuray.wasmtime.Engine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's epoch, which ends guest calls at their CPU deadlines: wasmtime stops a call once the
 * epoch passes the deadline its Store was given ({@link #deadlineTicks}), and this thread advances
 * the epoch every {@link #TICK} while calls may be running.
 *
 * <p>With no call started or running for {@link #IDLE_BEFORE_SLEEP}, the thread stops ticking until
 * the next call starts (an idle server's ticker would otherwise wake 200 times a second); that call
 * wakes it, and its deadline counts from the epoch it found, which is where it left off. A call
 * that starts while the ticker is going costs two atomic updates.
 *
 * <p>Where to change it: when the thread ticks and sleeps is {@link #run}; what a call tells it,
 * {@link #callStarting} and {@link #callEnded}.
 */
final class EpochTicker implements AutoCloseable {
    /** Resolution of CPU deadlines: a deadline of d runs at least d and at most d + 2 ticks. */
    static final Duration TICK = Duration.ofMillis(5);
    /** How long the ticker goes on with no call before it sleeps. */
    static final Duration IDLE_BEFORE_SLEEP = Duration.ofSeconds(1);

    /** Added for a call that starts: one more call started (high half), one more running (low half). */
    private static final long STARTED = (1L << 32) + 1;
    private static final long RUNNING_MASK = 0xFFFF_FFFFL;

    private final Engine engine;
    private final AtomicLong calls = new AtomicLong();
    private final Thread thread;
    /** The ticker sleeps, or is about to: a call that starts sees this and wakes it. */
    private volatile boolean asleep;
    private volatile boolean closed;

    EpochTicker(Engine engine) {
        this.engine = engine;
        this.thread = Thread.ofPlatform().daemon().name("opshell-epoch-ticker").start(this::run);
    }

    /** Ticks to pass to {@code Store.setEpochDeadline} so that a call may run for at least {@code limit}. */
    static long deadlineTicks(Duration limit) {
        long tick = TICK.toNanos();
        // +1: the current tick may be about to end.
        return Math.max(1, (limit.toNanos() + tick - 1) / tick) + 1;
    }

    /** Before a guest call sets its deadline: the epoch must advance while it runs. */
    void callStarting() {
        calls.addAndGet(STARTED);
        if (asleep) {
            asleep = false;
            LockSupport.unpark(thread);
        }
    }

    /** After a guest call, however it ended. */
    void callEnded() {
        calls.decrementAndGet();
    }

    private void run() {
        long tick = TICK.toNanos();
        long ticksBeforeSleep = IDLE_BEFORE_SLEEP.toNanos() / tick;
        long idleTicks = 0;
        long seen = calls.get();
        while (!closed) {
            LockSupport.parkNanos(this, tick);
            engine.incrementEpoch();
            long now = calls.get();
            idleTicks = now == seen && (now & RUNNING_MASK) == 0 ? idleTicks + 1 : 0;
            seen = now;
            if (idleTicks >= ticksBeforeSleep) {
                asleep = true;
                // After announcing it: a call that started before then is seen here, one after sees asleep.
                if (calls.get() == seen) {
                    while (asleep && !closed) {
                        LockSupport.park(this);
                    }
                }
                asleep = false;
                idleTicks = 0;
                seen = calls.get();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
