package io.opshell.engine.chicory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's one deadline thread: every {@link #TICK} it looks at the guest calls in progress
 * and has each one whose deadline has passed stopped ({@link CallDeadline#expireIfDue}). A call
 * is registered only while it runs, so idle instances cost the watchdog nothing.
 */
final class Watchdog implements AutoCloseable {
    /** Resolution of CPU deadlines: a call runs at least its deadline and at most about one tick more. */
    static final Duration TICK = Duration.ofMillis(5);

    private final Set<CallDeadline> running = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean closed;

    Watchdog() {
        thread = Thread.ofPlatform().daemon().name("opshell-chicory-deadlines").start(this::watch);
    }

    private void watch() {
        long tick = TICK.toNanos();
        while (!closed) {
            LockSupport.parkNanos(tick);
            long now = System.nanoTime();
            for (CallDeadline call : running) {
                call.expireIfDue(now);
            }
        }
    }

    void add(CallDeadline call) {
        running.add(call);
    }

    void remove(CallDeadline call) {
        running.remove(call);
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
