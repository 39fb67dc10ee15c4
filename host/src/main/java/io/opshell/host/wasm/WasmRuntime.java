package io.opshell.host.wasm;

import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one wasmtime Engine of a server, with epoch interruption and the ticker thread that
 * advances the epoch. Every guest call runs under a deadline counted in ticks of this clock.
 * Modules and stores made from it must be disposed before it is closed.
 */
public final class WasmRuntime implements AutoCloseable {
    /** Resolution of CPU deadlines: a deadline of d runs at least d and at most d + 2 ticks. */
    public static final Duration EPOCH_TICK = Duration.ofMillis(5);

    private final Engine engine;
    private final Thread ticker;
    private final AtomicInteger liveInstances = new AtomicInteger();
    /** Instances inside a guest call; the ticker asks each to stop once its soft deadline passes. */
    private final Set<ShellInstance> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public WasmRuntime() {
        // The engine takes ownership of the config.
        engine = new Engine(new Config().epochInterruption(true));
        ticker = Thread.ofPlatform().daemon().name("opshell-epoch-ticker").start(this::tick);
    }

    private void tick() {
        long tickNanos = EPOCH_TICK.toNanos();
        while (!closed) {
            LockSupport.parkNanos(tickNanos);
            engine.incrementEpoch();
            long now = System.nanoTime();
            for (ShellInstance instance : running) {
                instance.checkSoftDeadline(now);
            }
        }
    }

    /** Ticks to pass to {@code Store.setEpochDeadline} so that a call may run for at least {@code limit}. */
    static long deadlineTicks(Duration limit) {
        long tick = EPOCH_TICK.toNanos();
        // +1: the current tick may be about to end.
        return Math.max(1, (limit.toNanos() + tick - 1) / tick) + 1;
    }

    /** Shell instances created from this runtime and not yet closed. */
    public int liveInstances() {
        return liveInstances.get();
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

    Engine engine() {
        return engine;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(ticker);
        try {
            ticker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.dispose();
    }
}
