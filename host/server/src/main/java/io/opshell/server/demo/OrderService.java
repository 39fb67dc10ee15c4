package io.opshell.server.demo;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small order-processing service, the kind of thing opshell is embedded in: a queue of orders
 * and one worker that takes one every {@link #delayMs()} milliseconds (half that for the express
 * lane). It knows nothing of opshell; {@link DemoCommand} declares what operators may see and do.
 */
public final class OrderService implements AutoCloseable {
    /** The most orders one enqueue may add. */
    public static final int MAX_BATCH = 100_000;

    private final LinkedBlockingQueue<Long> queue = new LinkedBlockingQueue<>();
    private final AtomicLong nextOrder = new AtomicLong(1);
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong delayMs = new AtomicLong(200);
    private final AtomicBoolean express = new AtomicBoolean();
    private final Thread worker;

    public OrderService() {
        worker = Thread.ofPlatform().daemon().name("orders-worker").start(this::work);
    }

    private void work() {
        try {
            while (true) {
                queue.take();
                long pause = express.get() ? delayMs.get() / 2 : delayMs.get();
                if (pause > 0) {
                    Thread.sleep(pause);
                }
                processed.incrementAndGet();
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    public long queueDepth() {
        return queue.size();
    }

    public long processed() {
        return processed.get();
    }

    public long delayMs() {
        return delayMs.get();
    }

    public void setDelayMs(long ms) {
        delayMs.set(ms);
    }

    public boolean express() {
        return express.get();
    }

    public void setExpress(boolean on) {
        express.set(on);
    }

    /** Adds {@code n} orders; returns the queue's depth after. */
    public long enqueue(long n) {
        if (n < 1 || n > MAX_BATCH) {
            throw new IllegalArgumentException("give a number of orders from 1 to " + MAX_BATCH);
        }
        for (long i = 0; i < n; i++) {
            queue.add(nextOrder.getAndIncrement());
        }
        return queue.size();
    }

    /** Drops every queued order; returns how many. */
    public int drain() {
        return queue.drainTo(new java.util.ArrayList<>());
    }

    @Override
    public void close() {
        worker.interrupt();
    }
}
