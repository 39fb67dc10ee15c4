package io.opshell.host.bench;

import io.opshell.host.bench.Protocol.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The measurements, written once for every target: only {@link Protocol} differs. Every reply is
 * checked against what a correct server answers; the first wrong reply, error or timeout throws
 * {@link BenchFailure} naming the target. Iteration counts are fixed by the caller (never
 * "run until stable"), and every measured loop is preceded by a warm-up of the same operation.
 */
final class Harness {
    /** Keys (and values) a client cycles through; GET runs store them first. */
    static final int KEYS_PER_CLIENT = 16;

    private Harness() {}

    /** A target answered wrongly, failed, or did not answer in time. */
    static final class BenchFailure extends RuntimeException {
        final String target;

        BenchFailure(String target, String message, Throwable cause) {
            super(target + ": " + message, cause);
            this.target = target;
        }
    }

    /** The commands one client sends: {@link #KEYS_PER_CLIENT} keys, encoded once, with their expected replies. */
    private record Workload(byte[][] commands, String[] expected, byte[][] preload, String[] preloadExpected) {
        static Workload of(Protocol p, Op op, String client) {
            byte[][] cmds = new byte[KEYS_PER_CLIENT][];
            String[] exp = new String[KEYS_PER_CLIENT];
            byte[][] pre = new byte[op == Op.GET ? KEYS_PER_CLIENT : 0][];
            String[] preExp = new String[pre.length];
            for (int j = 0; j < KEYS_PER_CLIENT; j++) {
                String key = "bench:" + client + ":k" + j;
                String value = "v" + j + "-" + client + "-0123456789abcdef";
                cmds[j] = p.encode(op, key, value);
                exp[j] = p.expectedReply(op, key, value);
                if (op == Op.GET) {
                    pre[j] = p.encode(Op.SET, key, value);
                    preExp[j] = p.expectedReply(Op.SET, key, value);
                }
            }
            return new Workload(cmds, exp, pre, preExp);
        }
    }

    private static Conn connect(Target t) throws IOException {
        Conn c = Conn.open(t.socket);
        try {
            t.protocol.awaitReady(c);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The Scheme definition the compute measure runs: naive doubly recursive Fibonacci. */
    static final String FIB = "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))";
    private static final byte[] SCHEME_PROMPT = "scheme> ".getBytes(StandardCharsets.UTF_8);

    /**
     * The Scheme shell's compute speed: in one session, {@code definition}, then {@code expr}
     * unmeasured at least {@code warmup} times and for at least {@code warmupMillis}, then
     * {@code runs} times, each answer checked against {@code expected}; returns the median of the
     * measured runs in milliseconds (a step is one input line to its answer).
     */
    static double schemeMillis(Target t, String definition, String expr, String expected, int warmup, long warmupMillis,
            int runs) {
        try (Conn c = connect(t)) {
            c.write("\\shell scheme\n".getBytes(StandardCharsets.UTF_8));
            c.readUntil(SCHEME_PROMPT);
            c.write((definition + "\n").getBytes(StandardCharsets.UTF_8));
            c.readUntil(SCHEME_PROMPT);
            byte[] line = (expr + "\n").getBytes(StandardCharsets.UTF_8);
            double[] millis = new double[runs];
            WarmUp warm = WarmUp.of(warmup, warmupMillis);
            for (int warmed = 0, measured = 0; measured < runs; ) {
                long t0 = System.nanoTime();
                c.write(line);
                String reply = c.readUntil(SCHEME_PROMPT);
                long t1 = System.nanoTime();
                if (!reply.equals(expected + "\n")) {
                    throw new IOException("scheme " + expr + " answered " + Conn.printable(reply.getBytes(StandardCharsets.UTF_8)));
                }
                if (warm.goesOn(warmed)) {
                    warmed++;
                } else {
                    millis[measured++] = (t1 - t0) / 1e6;
                }
            }
            Arrays.sort(millis);
            return millis[runs / 2];
        } catch (IOException | RuntimeException e) {
            throw failure(t, "scheme " + expr, e);
        }
    }

    /** An unmeasured warm-up: at least {@code count} operations and at least until {@code endNanos} (System.nanoTime). */
    record WarmUp(int count, long endNanos) {
        static WarmUp of(int count, long millis) {
            return new WarmUp(count, System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis));
        }

        /** Whether the warm-up goes on after {@code done} operations. */
        boolean goesOn(int done) {
            return done < count || System.nanoTime() - endNanos < 0;
        }
    }

    /** Sends one command, reads its reply and checks it; returns the round trip in nanoseconds. */
    private static long exchange(Target t, Conn c, byte[] command, String expected) throws IOException {
        long t0 = System.nanoTime();
        c.write(command);
        String reply = t.protocol.readReply(c);
        long t1 = System.nanoTime();
        if (!reply.equals(expected) || c.unread() != 0) {
            throw new IOException("wrong reply to " + Conn.printable(command) + ": expected "
                    + Conn.printable(expected.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ", got "
                    + Conn.printable(reply.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    + (c.unread() != 0 ? " followed by " + c.unread() + " unexpected bytes" : ""));
        }
        return t1 - t0;
    }

    private static BenchFailure failure(Target t, String what, Throwable e) {
        String why = e.getMessage() == null ? e.toString() : e.getMessage();
        if (!t.alive()) {
            why += " (the server process is gone; log tail:\n" + t.logTail() + ")";
        }
        return new BenchFailure(t.name, what + ": " + why, e);
    }

    /**
     * Session setups start this far apart: an operator console sees connections arrive, not a
     * back-to-back storm, and a server may prepare for the next one in the meantime (opshell's
     * instance pools refill). The same pace for every target.
     */
    static final java.time.Duration SETUP_PACING = java.time.Duration.ofMillis(5);

    /**
     * Connect until ready, one every {@code pacing}: unmeasured until at least {@code warmup} times
     * and {@code warmupMillis} have passed, then {@code n} measured; returns those in ns.
     */
    static Histogram sessionSetup(Target t, int warmup, long warmupMillis, int n, java.time.Duration pacing) {
        Histogram samples = Stats.nanos();
        try {
            WarmUp warm = WarmUp.of(warmup, warmupMillis);
            long next = System.nanoTime();
            for (int warmed = 0, measured = 0; measured < n; ) {
                next += pacing.toNanos();
                long t0 = System.nanoTime();
                long t1;
                try (Conn c = Conn.open(t.socket)) {
                    t.protocol.awaitReady(c);
                    t1 = System.nanoTime();
                }
                if (warm.goesOn(warmed)) {
                    warmed++;
                } else {
                    samples.recordValue(t1 - t0);
                    measured++;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw failure(t, "session setup", e);
        }
        return samples;
    }

    /**
     * Round trips of one op on one connection, kept open while the caller interleaves chunks of
     * several targets (so that drift on a shared machine hits every target alike).
     */
    static final class RoundTrips implements AutoCloseable {
        private final Target t;
        private final Op op;
        private final Conn c;
        private final Workload w;
        private final Histogram samples = Stats.nanos();
        private final int total;
        private int done;
        private long sent;

        /** Connects, stores the keys (GET) and runs unmeasured round trips: at least {@code warmup}, for at least {@code warmupMillis}. */
        RoundTrips(Target t, Op op, int warmup, long warmupMillis, int total) {
            this.t = t;
            this.op = op;
            this.total = total;
            this.w = Workload.of(t.protocol, op, "rt");
            try {
                this.c = connect(t);
            } catch (IOException | RuntimeException e) {
                throw failure(t, op.lower() + " round trips", e);
            }
            try {
                for (int j = 0; j < w.preload.length; j++) {
                    exchange(t, c, w.preload[j], w.preloadExpected[j]);
                }
                WarmUp warm = WarmUp.of(warmup, warmupMillis);
                for (int i = 0; warm.goesOn(i); i++) {
                    next();
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw failure(t, op.lower() + " round trips (warm-up)", e);
            }
        }

        private long next() throws IOException {
            int j = (int) (sent++ % KEYS_PER_CLIENT);
            return exchange(t, c, w.commands[j], w.expected[j]);
        }

        /** Runs {@code warmup} unmeasured round trips (the target may have been idle), then measures {@code n}. */
        void measure(int warmup, int n) {
            try {
                for (int i = 0; i < warmup; i++) {
                    next();
                }
                for (int i = 0; i < n && done < total; i++) {
                    samples.recordValue(next());
                    done++;
                }
            } catch (IOException | RuntimeException e) {
                throw failure(t, op.lower() + " round trips", e);
            }
        }

        /** The round trips' times in ns. */
        Histogram samples() {
            if (done != total) {
                throw new IllegalStateException(done + " of " + total + " round trips measured");
            }
            return samples;
        }

        @Override
        public void close() {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Result of a throughput run: completed operations per second and every operation's latency in ns. */
    record Throughput(double opsPerSecond, Histogram latencies) {}

    /**
     * {@code clients} connections, each on its own thread: store its keys (GET), unmeasured
     * operations (at least {@code warmup}, for at least {@code warmupMillis}, all clients at once),
     * then all start together and each does exactly {@code opsPerClient} operations.
     * Throughput = all measured operations / (last client done - common start).
     */
    static Throughput throughput(Target t, Op op, int clients, int warmup, long warmupMillis, int opsPerClient,
            long timeoutMillis) {
        List<Conn> conns = new ArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicLong start = new AtomicLong();
        long[] ends = new long[clients];
        Histogram[] latencies = new Histogram[clients]; // one per client thread: a Histogram is not thread-safe
        CyclicBarrier go = new CyclicBarrier(clients, () -> start.set(System.nanoTime()));
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                conns.add(connect(t));
            }
            for (int i = 0; i < clients; i++) {
                int id = i;
                Conn c = conns.get(i);
                latencies[id] = Stats.nanos();
                threads.add(Thread.ofPlatform().name("bench-client-" + i).start(() -> {
                    try {
                        Workload w = Workload.of(t.protocol, op, "c" + id);
                        for (int j = 0; j < w.preload.length; j++) {
                            exchange(t, c, w.preload[j], w.preloadExpected[j]);
                        }
                        WarmUp warm = WarmUp.of(warmup, warmupMillis);
                        for (int k = 0; warm.goesOn(k); k++) {
                            exchange(t, c, w.commands[k % KEYS_PER_CLIENT], w.expected[k % KEYS_PER_CLIENT]);
                        }
                        go.await(timeoutMillis, TimeUnit.MILLISECONDS);
                        for (int k = 0; k < opsPerClient; k++) {
                            latencies[id].recordValue(exchange(t, c, w.commands[k % KEYS_PER_CLIENT], w.expected[k % KEYS_PER_CLIENT]));
                        }
                        ends[id] = System.nanoTime();
                    } catch (BrokenBarrierException e) {
                        error.compareAndSet(null, new IOException("another client failed before the start"));
                    } catch (IOException | RuntimeException | InterruptedException | TimeoutException e) {
                        error.compareAndSet(null, e);
                        go.reset(); // release the others waiting at the start
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            for (Thread th : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                th.join(Math.max(1, left));
                if (th.isAlive()) {
                    throw new TimeoutException("clients not done within " + timeoutMillis + " ms");
                }
            }
            if (error.get() != null) {
                Throwable e = error.get();
                throw e instanceof Exception ex ? ex : new RuntimeException(e);
            }
        } catch (Exception e) {
            throw failure(t, op.lower() + " throughput with " + clients + " clients", e);
        } finally {
            for (Conn c : conns) {
                try {
                    c.close(); // also unblocks a client stuck in a read
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
        long last = 0;
        for (long e : ends) {
            last = Math.max(last, e);
        }
        Histogram all = Stats.nanos();
        for (Histogram h : latencies) {
            all.add(h);
        }
        return new Throughput(all.getTotalCount() / ((last - start.get()) / 1e9), all);
    }

    /** RSS of the server before and after {@code n} idle sessions were opened (all ready). */
    record IdleMemory(long rssBefore, long rssAfter, int sessions) {
        double perSessionBytes() {
            return (rssAfter - rssBefore) / (double) sessions;
        }
    }

    /**
     * Opens {@code n} sessions, waits until each is ready, lets the server settle, reads its RSS;
     * then checks that every session still answers (none refused or dropped) and closes them.
     */
    static IdleMemory idleSessions(Target t, int n, long settleMillis) {
        List<Conn> conns = new ArrayList<>(n);
        try {
            long before = t.rssBytes();
            for (int i = 0; i < n; i++) {
                conns.add(connect(t));
            }
            Thread.sleep(settleMillis);
            long after = t.rssBytes();
            Workload w = Workload.of(t.protocol, Op.SET, "idle");
            for (int i = 0; i < conns.size(); i++) {
                exchange(t, conns.get(i), w.commands[i % KEYS_PER_CLIENT], w.expected[i % KEYS_PER_CLIENT]);
            }
            return new IdleMemory(before, after, n);
        } catch (IOException | RuntimeException | InterruptedException e) {
            throw failure(t, n + " idle sessions (" + conns.size() + " opened)", e);
        } finally {
            for (Conn c : conns) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }
}
