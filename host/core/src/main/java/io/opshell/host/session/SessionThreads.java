package io.opshell.host.session;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads sessions run on: platform threads with the stack the engine asks for (guest frames
 * are Java frames on Chicory), kept between sessions. Starting a thread with a multi-megabyte stack
 * was the largest single cost of a new session (a few hundred microseconds: the stack's mapping,
 * its guard pages, the JVM's thread setup), so a few stay parked, ready for the next connection;
 * beyond those, a session gets a new thread that ends shortly after its session.
 *
 * <p>A thread carries nothing from one session to the next: it is named after the session only
 * while it serves it (idle threads are {@value #IDLE_NAME}), and its interrupt flag is cleared
 * before and after each session (an engine's deadline interrupt never outlives the call it was
 * meant for, see the Chicory engine's {@code CallDeadline}; this is the second fence).
 *
 * <p>Not virtual threads, even for an engine whose guest code could run on one: junixsocket 2.10
 * parks a virtual thread's blocking read on a poll job it runs through
 * {@code CompletableFuture.supplyAsync}, and with idle sockets those parked sessions were measured
 * to hang for good (every session in {@code VirtualThreadPollerNaive}, no poll job running).
 *
 * <p>Where to change it: how many stay parked is {@link #KEPT_IDLE}, how long extra ones wait
 * is {@link #EXTRA_IDLE_TIMEOUT}.
 */
public final class SessionThreads {
    /** Threads kept parked for the next sessions (their stacks' touched pages stay resident). */
    static final int KEPT_IDLE = 4;
    /** A thread beyond {@link #KEPT_IDLE} ends after this long without a session. */
    static final Duration EXTRA_IDLE_TIMEOUT = Duration.ofSeconds(1);
    static final String IDLE_NAME = "opshell-idle-thread";
    private static final String SESSION_NAME_PREFIX = "opshell-session-";

    private final ThreadPoolExecutor pool;

    /** @param stackBytes each thread's stack; 0 for the JVM's default ({@code -Xss}) */
    public SessionThreads(long stackBytes) {
        // No queue: a session never waits for a thread; an idle one takes it, or a new one starts.
        pool = new ThreadPoolExecutor(KEPT_IDLE, Integer.MAX_VALUE, EXTRA_IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS,
                new SynchronousQueue<>(), Thread.ofPlatform().name(IDLE_NAME).stackSize(stackBytes).factory());
        pool.prestartAllCoreThreads();
    }

    /**
     * Runs {@code work}, the whole of session {@code sessionId}, on a thread of its own.
     *
     * @throws RejectedExecutionException after {@link #awaitSessionsEnded}
     */
    public void start(long sessionId, Runnable work) {
        pool.execute(() -> {
            Thread self = Thread.currentThread();
            Thread.interrupted();
            self.setName(SESSION_NAME_PREFIX + sessionId);
            try {
                work.run();
            } finally {
                Thread.interrupted();
                self.setName(IDLE_NAME);
            }
        });
    }

    /** Waits up to {@code wait} for the running sessions to end (they must have been told to); parked threads end at once. */
    public boolean awaitSessionsEnded(Duration wait) throws InterruptedException {
        pool.shutdown();
        return pool.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    }
}
