package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.StateAccess;
import io.opshell.host.support.Engines;
import io.opshell.host.support.Wat;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * However a guest call ends — returned, cut by its CPU deadline, or cut while a host function was
 * serving it — the deadline's means (Chicory: {@code Thread.interrupt}) never reaches the host's
 * own code: not the next call, not a host function, not the thread afterwards.
 */
class DeadlineInterruptTest {
    /**
     * Iterations of the spin step per input byte, so that, as the input doubles, runs end on both
     * sides of their deadline. Measured hot: the loop runs 0.11 ns an iteration on Chicory and 0.45
     * on wasmtime; at 20,000 a byte, the largest run (4,096 bytes) took 9 ms on Chicory, under the
     * deadline, so no run was cut.
     */
    private static final int LOOPS_PER_BYTE = 200_000;

    /** Its step loops {@code ready * LOOPS_PER_BYTE} times, or calls host.sum for ever when eof is set. */
    private static final String GUEST = """
            (module
              (import "host" "sum" (func $sum (param i32) (result i32)))
              (memory (export "memory") 1 1)
              (func (export "opshell_abi_version") (result i32) (i32.const 2))
              (func (export "opshell_init"))
              (func (export "opshell_step") (param $ready i32) (param $eof i32) (result i32)
                (local $i i32)
                (if (local.get $eof) (then (loop $host (drop (call $sum (i32.const 8))) (br $host))))
                (local.set $i (i32.mul (local.get $ready) (i32.const %d)))
                (block $done (loop $spin
                  (br_if $done (i32.eqz (local.get $i)))
                  (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                  (br $spin)))
                (i32.const 0)))
            """.formatted(LOOPS_PER_BYTE);
    private static final Duration DEADLINE = Duration.ofMillis(10);

    @Test
    void anInterruptNeverOutlivesTheCallItStopped() throws Exception {
        try (WasmRuntime rt = Engines.runtime();
                ShellModule module = ShellModule.load(rt, "spin", Wat.compile(GUEST), 1 << 20)) {
            int cut = 0, returned = 0;
            for (int size = 1; size <= 4096; size *= 2) {
                for (int rep = 0; rep < 3; rep++) {
                    GuestStdio stdio = new GuestStdio(1 << 13, 1024);
                    try (ShellInstance s = ShellInstance.start(module, stdio, StateAccess.DENY_ALL, DEADLINE, 1 << 20)) {
                        stdio.receive(new byte[size], 0, size); // step loops size * LOOPS_PER_BYTE times
                        try {
                            s.step(System.nanoTime());
                            returned++;
                        } catch (ShellFault f) {
                            assertThat(f.getMessage()).contains("CPU limit");
                            cut++;
                        }
                    }
                    assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag after a call of size " + size).isFalse();
                    Thread.sleep(1); // would throw InterruptedException if an interrupt had leaked
                }
            }
            assertThat(cut).as("calls cut by the deadline").isPositive();
            assertThat(returned).as("calls that returned").isPositive();
        }
    }

    @Test
    void aHostFunctionIsNeverInterrupted() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger interrupted = new AtomicInteger();
        StateAccess slowSum = new Sums(() -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(2); // a host function that blocks, as one writing the audit log may
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
            return 0;
        });
        try (WasmRuntime rt = Engines.runtime();
                ShellModule module = ShellModule.load(rt, "spin", Wat.compile(GUEST), 1 << 20)) {
            for (int rep = 0; rep < 5; rep++) {
                GuestStdio stdio = new GuestStdio(1024, 1024);
                try (ShellInstance s = ShellInstance.start(module, stdio, slowSum, DEADLINE, 1 << 20)) {
                    stdio.markEndOfInput(); // eof: the step calls host.sum for ever
                    assertThatThrownBy(() -> s.step(System.nanoTime())).isInstanceOf(ShellFault.class).hasMessageContaining("CPU limit");
                }
                assertThat(Thread.interrupted()).isFalse();
            }
        }
        assertThat(calls.get()).isPositive();
        assertThat(interrupted.get()).as("host functions that saw an interrupt").isZero();
    }

    /** A state where only sum() does anything. */
    private record Sums(java.util.function.LongSupplier body) implements StateAccess {
        @Override public long add(long delta) { throw new UnsupportedOperationException(); }
        @Override public long sum() { return body.getAsLong(); }
        @Override public Optional<String> get(String key) { return Optional.empty(); }
        @Override public void set(String key, String value) { throw new UnsupportedOperationException(); }
        @Override public boolean delete(String key) { return false; }
        @Override public List<String> keys(String prefix) { return List.of(); }
        @Override public String whoami() { return ""; }
        @Override public String call(String name, String argument) { throw new UnsupportedOperationException(); }
    }
}
