package io.opshell.host.wasm;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances of one shell made ahead of demand, so a session gets a ready one without paying
 * instantiation (on wasmtime about 2 ms; the module's constructors and shared-buffer setup have
 * run too). At most {@link #size} wait; each one taken is replaced in the background,
 * {@link #FILL_DELAY} later, on the runtime's one refill thread ({@link WasmRuntime#refill}). A
 * pooled instance holds no session data: it has never seen input, state or a session's limits,
 * which {@link ShellInstance#bind} gives it. Where to change the policy: {@link #take} and
 * {@link #fill}.
 */
final class InstancePool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InstancePool.class);
    /** CPU time the setup calls of a pooled instance ({@code _initialize}, {@code opshell_buffers}) may take. */
    static final Duration SETUP_DEADLINE = Duration.ofSeconds(1);

    private static final long FILL_WAIT_NANOS = 1_000_000;
    /**
     * A fill starts this long after the take that asked for it: instantiating is mostly kernel
     * work (mapping the instance, faulting its pages in) that does not yield the CPU to the
     * session being set up, so it waits until that session has shown its prompt.
     */
    static final Duration FILL_DELAY = Duration.ofMillis(2);

    private final ShellModule module;
    private final int size;
    private final long memoryLimitBytes;
    private final BlockingQueue<ShellInstance> ready;
    /** A fill is queued or running: at most one per pool. */
    private final AtomicBoolean filling = new AtomicBoolean();
    private volatile boolean closed;

    InstancePool(ShellModule module, int size, long memoryLimitBytes) {
        this.module = module;
        this.size = size;
        this.memoryLimitBytes = memoryLimitBytes;
        this.ready = new ArrayBlockingQueue<>(size);
        scheduleFill();
    }

    /** A ready instance, or null when none is waiting (the caller instantiates one itself). */
    ShellInstance take() {
        ShellInstance s = ready.poll();
        if (s != null) {
            module.runtime().pooledTaken();
        }
        scheduleFill();
        return s;
    }

    /** Instances waiting. */
    int waiting() {
        return ready.size();
    }

    private void scheduleFill() {
        if (!closed && ready.size() < size && filling.compareAndSet(false, true)) {
            if (!module.runtime().refill(this::fill)) {
                filling.set(false);
            }
        }
    }

    /** Runs on the refill thread: tops the pool up. A shell that fails to start stops filling until the next take. */
    private void fill() {
        LockSupport.parkNanos(FILL_DELAY.toNanos());
        try {
            while (!closed && ready.size() < size) {
                ShellInstance s;
                try {
                    s = ShellInstance.prepare(module, SETUP_DEADLINE, memoryLimitBytes);
                } catch (ShellFault | RuntimeException e) {
                    if (closed) {
                        return;
                    }
                    log.warn("shell {}: a pooled instance failed to start ({}); sessions instantiate their own", module.name(),
                            e.getMessage());
                    return;
                }
                if (closed || !ready.offer(s)) {
                    s.close();
                    return;
                }
                module.runtime().pooledAdded();
                if (closed) {
                    close(); // closed while this one was offered: nobody else will drain it
                }
            }
        } finally {
            filling.set(false);
        }
    }

    /**
     * Closes the waiting instances, after a fill in progress has finished: the module may be
     * released next, and an engine must not have an instance made from a released module.
     */
    @Override
    public void close() {
        closed = true;
        long end = System.nanoTime() + SETUP_DEADLINE.multipliedBy(5).toNanos();
        while (filling.get() && System.nanoTime() < end) {
            LockSupport.parkNanos(FILL_WAIT_NANOS);
        }
        ShellInstance s;
        while ((s = ready.poll()) != null) {
            module.runtime().pooledTaken();
            s.close();
        }
    }
}
