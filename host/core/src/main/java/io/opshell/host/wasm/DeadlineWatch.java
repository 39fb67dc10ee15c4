package io.opshell.host.wasm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * wake-up, so starting a call wakes the thread only when its limit is shorter than the last one's.
 * (With two watches that woke every 5 ms, an idle Chicory server woke about 400 times a second and
 * used 1.75% of a CPU on the benchmark machine; it now wakes about 20 times and uses 0.3%.) A call
 * still running past its deadline is looked at again every {@link #OVERDUE_RECHECK} until it ends:
 * it may be inside a host function, where it cannot be stopped at once.
 *
 * <p>Each step starts and ends a call, so both are kept to a few volatile accesses: a {@link Call}
 * (one per instance, reused for every call) joins the watched set at its first start and stays in
 * it between calls, marked idle; the thread drops the calls it finds idle when it looks, and a
 * dropped call joins again at its next start. (Joining and leaving the set on every step, as
 * before, cost a Chicory {@code get} about 0.2 µs for its two watches.) An instance that closes
 * takes its call out at once ({@link #forget}), so the set does not keep closed instances reachable
 * until the next look, which may be a whole step limit away.
 *
 * <p>Where to change it: what stopping a due call means is the call's own
 * ({@link Call#expireIfDue}); when the thread looks is {@link #watch}; how a call joins and leaves
 * the set is {@link #add}, {@link #remove}, {@link #forget} and {@link #dropIfIdle}.
 */
public final class DeadlineWatch implements AutoCloseable {
    /**
     * A guest call in progress, as the watch sees it: one object per instance, added to one watch
     * only, reused for all its calls.
     */
    public abstract static class Call {
        /** Not in the watched set. */
        private static final int OUT = 0;
        /** In the set, between calls. */
        private static final int IDLE = 1;
        /** In the set, a call in progress. */
        private static final int RUNNING = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Call.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Written by the caller ({@link #add}, {@link #remove}) and the thread ({@link #dropIfIdle}). */
        private volatile int state = OUT;

        /** When the call is due ({@link System#nanoTime}); read while the call is registered. */
        public abstract long deadlineNanos();

        /** Stops the call if its deadline has passed by {@code nowNanos}; a no-op otherwise or if already stopping. */
        public abstract void expireIfDue(long nowNanos);
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
        if (!Call.STATE.compareAndSet(call, Call.IDLE, Call.RUNNING)) {
            call.state = Call.RUNNING; // it was out of the set: never added, dropped by the last look, or forgotten
            running.add(call);
        }
        if (idleSleepNanos != limitNanos) {
            idleSleepNanos = limitNanos;
        }
        // After the call is marked running: a look that missed it published a next look no later
        // than the one read here (see watch), so either the thread wakes in time or it is woken now.
        if (call.deadlineNanos() - nextLookNanos < 0) {
            LockSupport.unpark(thread);
        }
    }

    /** The call has ended: it stays in the set, idle, until the thread's next look drops it. */
    public void remove(Call call) {
        call.state = Call.IDLE;
    }

    /** The call's instance is closing: its idle call leaves the set now. A no-op for a call still running. */
    public void forget(Call call) {
        if (Call.STATE.compareAndSet(call, Call.IDLE, Call.OUT)) {
            running.remove(call);
        }
    }

    private void watch() {
        long recheck = OVERDUE_RECHECK.toNanos();
        while (!closed) {
            looks++;
            long now = System.nanoTime();
            long next = now + idleSleepNanos;
            nextLookNanos = next; // before the scan: a call added during it and missed compares with this or a sooner look
            for (Call call : running) {
                if (call.state != Call.RUNNING && dropIfIdle(call)) {
                    continue;
                }
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

    /**
     * Drops an idle call from the set; false when it started again meanwhile (it is then in the set
     * again and watched). The removal comes first: a call that starts after it finds the state
     * IDLE, marks itself RUNNING, and the compare-and-set below fails; one that starts after the
     * compare-and-set finds OUT and adds itself. Either way it ends up in the set. A call
     * {@linkplain #forget forgotten} meanwhile is OUT and stays out.
     */
    private boolean dropIfIdle(Call call) {
        running.remove(call);
        if (Call.STATE.compareAndSet(call, Call.IDLE, Call.OUT) || call.state == Call.OUT) {
            return true;
        }
        running.add(call);
        return false;
    }

    /** Calls in the watched set, running or idle (for tests). */
    int watched() {
        return running.size();
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
