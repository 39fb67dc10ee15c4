package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.StateAccess;
import io.opshell.host.support.Engines;
import io.opshell.host.support.Wat;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The deadline threads sleep when they have nothing to stop (the {@link DeadlineWatch} between
 * deadlines, wasmtime's epoch ticker after an idle second), so what is checked here is that they
 * still act in time: a call whose limit is shorter than the one the watch slept for wakes it, a
 * call kept running past its deadline is looked at again, calls that end in time cost the watch no
 * wake-ups at all, and a runaway call after an idle spell is stopped.
 */
class DeadlineWatchTest {
    /** Limits far apart, so that a watch sleeping for the long one could not stop the short one in time by chance. */
    private static final Duration LONG_LIMIT = Duration.ofSeconds(30);
    private static final Duration SHORT_LIMIT = Duration.ofMillis(20);

    /** Its step never returns. */
    private static final String RUNAWAY = """
            (module
              (memory (export "memory") 1 1)
              (func (export "opshell_abi_version") (result i32) (i32.const 2))
              (func (export "opshell_init"))
              (func (export "opshell_step") (param i32 i32) (result i32)
                (loop $forever (br $forever))
                (i32.const 0)))
            """;

    /** A call registered the way the engines do: its deadline set before it is added. */
    private static final class TestCall extends DeadlineWatch.Call {
        final long deadline;
        final AtomicInteger expireChecks = new AtomicInteger();
        final CountDownLatch due = new CountDownLatch(1);

        TestCall(Duration limit) {
            deadline = System.nanoTime() + limit.toNanos();
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public void expireIfDue(long nowNanos) {
            expireChecks.incrementAndGet();
            if (nowNanos - deadline >= 0) {
                due.countDown();
            }
        }
    }

    /** A new call with {@code limit}, started on {@code watch}. */
    private static TestCall started(DeadlineWatch watch, Duration limit) {
        TestCall call = new TestCall(limit);
        watch.add(call, limit.toNanos());
        return call;
    }

    /**
     * Polls {@code condition} every {@code pollMillis} until it holds or 10 s have passed; the
     * assertion after it says what was expected. Waits are generous: a loaded machine stretches them.
     */
    private static void waitUntil(BooleanSupplier condition, long pollMillis) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() - until < 0) {
            Thread.sleep(pollMillis);
        }
    }

    @Test
    void aShorterLimitThanTheLastWakesTheWatch() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            TestCall longCall = started(watch, LONG_LIMIT); // the watch now sleeps up to 30 s
            Thread.sleep(50);
            TestCall shortCall = started(watch, SHORT_LIMIT);
            assertThat(shortCall.due.await(10, TimeUnit.SECONDS)).as("the 20 ms call was stopped").isTrue();
            assertThat(longCall.due.getCount()).as("the 30 s call was not").isEqualTo(1);
            watch.remove(shortCall);
            watch.remove(longCall);
        }
    }

    @Test
    void aCallPastItsDeadlineIsLookedAtAgainUntilItEnds() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            TestCall call = started(watch, SHORT_LIMIT);
            TestCall longCall = started(watch, LONG_LIMIT); // with no call due, the watch would now sleep 30 s
            assertThat(call.due.await(10, TimeUnit.SECONDS)).isTrue();
            waitUntil(() -> call.expireChecks.get() >= 3, 5);
            assertThat(call.expireChecks.get()).as("looks at the overdue call (every %s)", DeadlineWatch.OVERDUE_RECHECK)
                    .isGreaterThanOrEqualTo(3);
            watch.remove(call);
            watch.remove(longCall);
            int afterEnd = call.expireChecks.get();
            Thread.sleep(DeadlineWatch.OVERDUE_RECHECK.toMillis() * 20);
            assertThat(call.expireChecks.get()).as("not looked at once it ended").isLessThanOrEqualTo(afterEnd + 1);
        }
    }

    @Test
    void callsThatEndInTimeDoNotWakeTheWatch() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            TestCall first = started(watch, LONG_LIMIT);
            watch.remove(first);
            // The watch sleeps out its first sleep (before any limit was known), then sleeps for the last call's limit.
            waitUntil(() -> watch.nextLookNanos() - System.nanoTime() >= LONG_LIMIT.toNanos() / 2, 10);
            long looks = watch.looks();
            for (int i = 0; i < 10_000; i++) {
                TestCall call = started(watch, LONG_LIMIT);
                watch.remove(call);
            }
            Thread.sleep(50);
            assertThat(watch.looks() - looks).as("looks during 10,000 calls with the same limit").isZero();
        }
    }

    @Test
    void endedCallsLeaveTheWatchedSetAtItsNextLook() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            TestCall running = started(watch, LONG_LIMIT);
            for (int i = 0; i < 1_000; i++) {
                TestCall call = started(watch, SHORT_LIMIT);
                watch.remove(call);
            }
            assertThat(watch.watched()).as("ended calls stay in the set until the watch looks").isGreaterThan(1);
            // The watch now sleeps for the last limit (20 ms) at most, then drops what it finds idle.
            waitUntil(() -> watch.watched() <= 1, 5);
            assertThat(watch.watched()).as("only the call still running is watched").isEqualTo(1);
            watch.remove(running);
        }
    }

    @Test
    void aClosingInstancesCallLeavesTheSetAtOnceButNotWhileRunning() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            TestCall ended = started(watch, LONG_LIMIT);
            watch.remove(ended);
            TestCall running = started(watch, LONG_LIMIT);
            watch.forget(ended);
            watch.forget(running);
            assertThat(watch.watched()).as("the running call stays, the ended one left").isEqualTo(1);
            watch.remove(running);
            watch.forget(running);
            assertThat(watch.watched()).isZero();
        }
    }

    /** Instances closing while the watch drops idle calls: none is put back for good. */
    @Test
    void forgottenCallsStayOutWhileTheWatchLooks() throws Exception {
        Duration limit = Duration.ofMillis(1); // the watch looks every millisecond
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            for (int i = 0; i < 20_000; i++) {
                TestCall call = started(watch, limit);
                watch.remove(call);
                if (i % 7 == 0) {
                    Thread.onSpinWait();
                }
                watch.forget(call);
            }
            long looks = watch.looks();
            waitUntil(() -> watch.looks() >= looks + 3, 1);
            assertThat(watch.watched()).as("calls left in the set after every instance closed").isZero();
        }
    }

    /** One call object reused, as an instance reuses its own: looks that drop it while idle never lose a later call. */
    @Test
    void aReusedCallIsWatchedWhateverTheLookDroppedMeanwhile() throws Exception {
        Duration limit = Duration.ofMillis(2); // the watch looks every 2 ms, often while the call is between calls
        var call = new DeadlineWatch.Call() {
            volatile long deadline;
            volatile CountDownLatch due = new CountDownLatch(1);

            @Override
            public long deadlineNanos() {
                return deadline;
            }

            @Override
            public void expireIfDue(long nowNanos) {
                if (nowNanos - deadline >= 0) {
                    due.countDown();
                }
            }
        };
        try (DeadlineWatch watch = new DeadlineWatch("test-deadlines")) {
            long looksBefore = watch.looks();
            for (int round = 0; round < 500; round++) {
                call.due = new CountDownLatch(1);
                call.deadline = System.nanoTime() + limit.toNanos();
                watch.add(call, limit.toNanos());
                assertThat(call.due.await(10, TimeUnit.SECONDS)).as("round %d: the call was stopped", round).isTrue();
                watch.remove(call);
                Thread.sleep(Duration.ofNanos(round * 7919L % 3_000 * 1_000)); // between calls for 0-3 ms: across a look, often

            }
            assertThat(watch.looks() - looksBefore).as("looks in 500 rounds of 2-5 ms").isGreaterThan(500);
        }
    }

    @Test
    void aRunawayCallAfterAnIdleSpellIsStillStopped() throws Exception {
        Duration limit = Duration.ofMillis(50);
        WasmRuntime rt = Engines.runtime();
        ShellModule module = ShellModule.load(rt, "runaway", Wat.compile(RUNAWAY), 1 << 16);
        GuestStdio stdio = new GuestStdio(1024, 1024);
        ShellInstance s = ShellInstance.start(module, stdio, StateAccess.DENY_ALL, limit, 1 << 16);
        s.init();
        Thread.sleep(Duration.ofSeconds(2)); // longer than any deadline thread goes on with nothing to do
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("opshell-epoch-ticker")) {
                // Its idle second is counted in ticks, which a busy machine stretches.
                waitUntil(() -> t.getState() == Thread.State.WAITING, 10);
                assertThat(t.getState()).as("wasmtime's epoch ticker, idle").isEqualTo(Thread.State.WAITING);
            }
        }
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("runaway-step").start(() -> {
            try {
                s.step(System.nanoTime());
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        // Not stopped in time: fail, and close nothing (disposing an engine under a running call aborts the JVM).
        Throwable ended = outcome.get(30, TimeUnit.SECONDS);
        assertThat(ended).isInstanceOf(ShellFault.class).hasMessageContaining("CPU limit");
        s.close();
        module.close();
        rt.close();
    }
}
