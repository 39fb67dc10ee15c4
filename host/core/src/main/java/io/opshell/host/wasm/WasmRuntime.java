package io.opshell.host.wasm;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A server's engine with what opshell adds around it, engine-neutral: the count of live shell
 * instances and the soft-deadline watch — a ticker that asks every guest call still running at
 * its soft deadline to stop ({@link ShellInstance#checkSoftDeadline}). The hard deadline is the
 * engine's own. Modules and instances made from it must be closed before it is.
 */
public final class WasmRuntime implements AutoCloseable {
    /** How often the soft deadlines are checked; a soft interrupt comes at most this late. */
    static final Duration WATCH_TICK = Duration.ofMillis(5);

    private final WasmEngine engine;
    private final AtomicInteger liveInstances = new AtomicInteger();
    /** Instances inside a guest call. */
    private final Set<ShellInstance> running = ConcurrentHashMap.newKeySet();
    private final Thread watch;
    private volatile boolean closed;

    public WasmRuntime(WasmEngine engine) {
        this.engine = engine;
        this.watch = Thread.ofPlatform().daemon().name("opshell-soft-deadlines").start(this::watch);
    }

    private void watch() {
        long tick = WATCH_TICK.toNanos();
        while (!closed) {
            LockSupport.parkNanos(tick);
            long now = System.nanoTime();
            for (ShellInstance instance : running) {
                instance.checkSoftDeadline(now);
            }
        }
    }

    public WasmEngine engine() {
        return engine;
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

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(watch);
        try {
            watch.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.close();
    }
}
