package io.opshell.host.wasm;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that stops guest calls at their deadlines: the runtime's soft deadlines
 * ({@link WasmRuntime}) and an engine's hard ones (Chicory's) each have one.
 *
 * <p>It sleeps until the earliest deadline of the calls in progress and, with none in progress, for
 * as long as the last call's limit. A call that starts meanwhile is due no earlier than that
 * wake-up, so starting a call wakes the thread only when its limit is shorter than the last one's:
 * a step costs the watch a set insertion and removal, and an idle server's watch wakes about once
 * per step limit. (With two watches that woke every 5 ms, an idle Chicory server woke about 400
 * times a second and used 1.75% of a CPU on the benchmark machine; it now wakes about 20 times and
 * uses 0.3%.) A call still running past its deadline is looked at again every {@link #OVERDUE_RECHECK} until
 * it ends: it may be inside a host function, where it cannot be stopped at once.
 *
 * <p>Where to change it: what stopping a due call means is the call's own
 * ({@link Call#expireIfDue}); when the thread looks is {@link #watch}.
 */
public final class DeadlineWatch implements AutoCloseable {
    /** A guest call in progress, as the watch sees it. */
    public interface Call {
        /** When the call is due ({@link System#nanoTime}); read while the call is registered. */
        long deadlineNanos();

        /** Stops the call if its deadline has passed by {@code nowNanos}; a no-op otherwise or if already stopping. */
        void expireIfDue(long nowNanos);
    }

    /** How soon a call past its deadline and still running is looked at again. */
    static final Duration OVERDUE_RECHECK = Duration.ofMillis(5);
    /** How long the idle watch sleeps before any call has told it a limit. */
    private static final Duration FIRST_IDLE_SLEEP = Duration.ofSeconds(1);

    private final Set<Call> running = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    /** The limit of the last call registered: how long the watch sleeps with no call in progress. */
    private volatile long idleSleepNanos = FIRST_IDLE_SLEEP.toNanos();
    /** When the thread looks next ({@link System#nanoTime}); a call due before then wakes it. */
    private volatile long nextLookNanos = System.nanoTime();
    private volatile boolean closed;
    /** Times the thread has looked at the calls in progress (written by the thread only). */
    private volatile long looks;

    public DeadlineWatch(String threadName) {
        thread = Thread.ofPlatform().daemon().name(threadName).start(this::watch);
    }

    /** Watches {@code call}, started with a limit of {@code limitNanos}, until {@link #remove}. */
    public void add(Call call, long limitNanos) {
        running.add(call);
        if (idleSleepNanos != limitNanos) {
            idleSleepNanos = limitNanos;
        }
        // After the insertion: a look that missed the call published a next look no later than the
        // one read here (see watch), so either the thread wakes in time or it is woken now.
        if (call.deadlineNanos() - nextLookNanos < 0) {
            LockSupport.unpark(thread);
        }
    }

    public void remove(Call call) {
        running.remove(call);
    }

    private void watch() {
        long recheck = OVERDUE_RECHECK.toNanos();
        while (!closed) {
            looks++;
            long now = System.nanoTime();
            long next = now + idleSleepNanos;
            nextLookNanos = next; // before the scan: a call added during it and missed compares with this or a sooner look
            for (Call call : running) {
                long due = call.deadlineNanos();
                if (now - due >= 0) {
                    call.expireIfDue(now);
                    if (now + recheck - next < 0) {
                        next = now + recheck;
                    }
                } else if (due - next < 0) {
                    next = due;
                }
            }
            nextLookNanos = next;
            LockSupport.parkNanos(this, next - now);
        }
    }

    /** Times the thread has looked at the calls in progress. */
    long looks() {
        return looks;
    }

    /** When the thread looks next ({@link System#nanoTime}). */
    long nextLookNanos() {
        return nextLookNanos;
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
