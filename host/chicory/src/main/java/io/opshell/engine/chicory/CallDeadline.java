package io.opshell.engine.chicory;

import io.opshell.host.wasm.DeadlineWatch;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU deadline of one instance's guest calls, and the one rule that makes interrupting safe:
 * the interrupt of an expired call never reaches anything but that call's guest code.
 *
 * <p>Chicory's compiled code checks {@link Thread#isInterrupted()} on back-jumps and calls, so the
 * engine's {@link DeadlineWatch} (the watchdog) stops a runaway call by interrupting the thread
 * running it. An interrupt is sticky, though, and host code that does I/O reacts to it (an
 * interruptible channel — the audit log's — would be closed for every session). So:
 * <ul>
 *   <li>the watchdog interrupts only a call in guest code ({@code RUNNING}), never one inside a host
 *       function ({@code IN_HOST}); for that one it only marks the deadline passed, and the host
 *       function's return unwinds the guest ({@link DeadlineExceeded});</li>
 *   <li>a host function entered after the interrupt was sent is not run: the guest is unwound;</li>
 *   <li>{@link #end()} waits out an interrupt being delivered, then clears the thread's interrupt
 *       flag, whatever happened, so nothing leaks into the next call or into the session's code.</li>
 * </ul>
 * Where to change it: the states and their transitions are all in this file.
 */
final class CallDeadline extends DeadlineWatch.Call {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int IN_HOST = 2;
    /** The watchdog is delivering the interrupt; {@link #end()} waits for it to finish. */
    private static final int INTERRUPTING = 3;
    private static final int INTERRUPTED = 4;
    /** In a host function past the deadline: the function's return unwinds the guest. */
    private static final int IN_HOST_EXPIRED = 5;

    /** The low bits of {@link #word} hold the state, the rest the call's number (so a late watchdog cannot stop the next call). */
    private static final int STATE_BITS = 3;
    private static final long STATE_MASK = (1 << STATE_BITS) - 1;

    private final DeadlineWatch watchdog;
    private final AtomicLong word = new AtomicLong(IDLE);
    private volatile Thread runner;
    private volatile long deadlineNanos;
    /** The deadline passed during this call (set by the watchdog before it lets {@link #end()} finish, or by the runner). */
    private volatile boolean expired;

    CallDeadline(DeadlineWatch watchdog) {
        this.watchdog = watchdog;
    }

    /** Starts a call on the current thread that may run {@code limit}. */
    void begin(Duration limit) {
        runner = Thread.currentThread();
        expired = false;
        long limitNanos = limit.toNanos();
        deadlineNanos = System.nanoTime() + limitNanos;
        long call = (word.get() >>> STATE_BITS) + 1;
        word.set(call << STATE_BITS | RUNNING); // after the deadline: whoever sees RUNNING sees this call's deadline
        watchdog.add(this, limitNanos);
    }

    /** Ends the call, wherever it ended; returns whether its deadline had passed. Clears the interrupt flag. */
    boolean end() {
        watchdog.remove(this);
        while (true) {
            long w = word.get();
            if (state(w) == INTERRUPTING) {
                Thread.onSpinWait(); // the interrupt is on its way: let it land, then clear it
            } else if (word.compareAndSet(w, with(w, IDLE))) {
                break;
            }
        }
        Thread.interrupted();
        runner = null;
        return expired;
    }

    /** The instance is closing: the watchdog lets go of this deadline now (a no-op during a call). */
    void forget() {
        watchdog.forget(this);
    }

    @Override
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Watchdog: stops the call if its deadline has passed. */
    @Override
    public void expireIfDue(long nowNanos) {
        long w = word.get();
        int s = state(w);
        if ((s != RUNNING && s != IN_HOST) || nowNanos - deadlineNanos < 0) {
            return;
        }
        Thread t = runner;
        if (s == RUNNING && word.compareAndSet(w, with(w, INTERRUPTING))) {
            expired = true;
            if (t != null) {
                t.interrupt();
            }
            word.set(with(w, INTERRUPTED));
        } else if (s == IN_HOST) {
            word.compareAndSet(w, with(w, IN_HOST_EXPIRED)); // the host function's return unwinds the guest
        }
    }

    /** Entering a host function: refused (the guest unwound) when the deadline's interrupt is already out. */
    void enterHost() {
        long w = word.get();
        if (state(w) != RUNNING || !word.compareAndSet(w, with(w, IN_HOST))) {
            throw DeadlineExceeded.INSTANCE;
        }
    }

    /** Back from a host function: the guest is unwound if the deadline passed meanwhile. */
    void leaveHost() {
        leaveHostUnwinding();
        if (expired) {
            throw DeadlineExceeded.INSTANCE;
        }
    }

    /** Back from a host function that is unwinding the guest anyway. */
    void leaveHostUnwinding() {
        while (true) {
            long w = word.get();
            int s = state(w);
            if (s != IN_HOST && s != IN_HOST_EXPIRED) {
                return;
            }
            if (word.compareAndSet(w, with(w, RUNNING))) {
                if (s == IN_HOST_EXPIRED) {
                    expired = true;
                }
                return;
            }
        }
    }

    private static int state(long w) {
        return (int) (w & STATE_MASK);
    }

    private static long with(long w, int state) {
        return (w & ~STATE_MASK) | state;
    }

    /** Unwinds a guest whose deadline passed while the host was serving it. Stackless, preallocated. */
    static final class DeadlineExceeded extends RuntimeException {
        static final DeadlineExceeded INSTANCE = new DeadlineExceeded();

        private DeadlineExceeded() {
            super("deadline", null, false, false);
        }
    }
}
