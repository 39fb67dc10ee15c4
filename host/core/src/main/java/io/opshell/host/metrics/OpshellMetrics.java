package io.opshell.host.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opshell.host.ServerStats;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * A server's measurements, as Micrometer meters: sessions, commands, refusals, rate limiting,
 * permission denials, traps, step latency, live shell instances, store operations and policy
 * reloads. One set of meters feeds every consumer: {@code \stats} reads {@link #snapshot()} (from a
 * private registry that always exists), and any registry bound with {@link #bindTo} (an
 * embedder's own, or the standalone server's Prometheus and JMX registries) gets the same meters.
 *
 * <p>The session layer reports through the methods below ({@link #commands}, {@link #stepTook},
 * ...). The six plain counters are kept in {@link ServerStats}'s {@code AtomicLong}s, so code that
 * still bumps those fields directly is counted too. To add a meter: register it in the
 * constructor under an {@code opshell.} name, add it to {@link StatsSnapshot} if {@code \stats}
 * should show it, and list it in the metrics table of the README.
 */
public final class OpshellMetrics {
    /** The timer of shell steps, recorded once per command. */
    private static final String STEP = "opshell.step";
    /**
     * Their count and total time, for registries that leave {@link #STEP} out. A name of its own:
     * in one registry, a name left out by a filter stays taken.
     */
    private static final String STEP_TOTALS = "opshell.step.totals";
    private static final String STEP_DESCRIPTION = "time one shell step took (answering one chunk of input)";
    /**
     * Step latency buckets: a kv step takes 2–20 µs (Chicory, wasmtime), a runaway one is cut at
     * the CPU limit (1 s by default, configurable upwards), so the buckets span both with few series.
     */
    private static final Duration[] STEP_BUCKETS = {
        Duration.ofNanos(25_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000),
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)
    };

    /**
     * The private registry keeps no buckets: its reads need a count, a total and a maximum, and
     * filling the step's buckets on every command cost about 0.05 µs a step for nothing.
     */
    private static final MeterFilter WITHOUT_BUCKETS = new MeterFilter() {
        @Override
        public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
            return DistributionStatisticConfig.builder().serviceLevelObjectives().percentilesHistogram(false).build()
                    .merge(config);
        }
    };

    private final ServerStats counts;
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private final Timer steps;
    /** The steps as the private registry keeps them: what reads use (a composite's reads pick a child in no set order). */
    private final Timer stepsRead;
    private final Map<StoreOperation, CallTimes> storeOk = new EnumMap<>(StoreOperation.class);
    private final Map<StoreOperation, CallTimes> storeFailed = new EnumMap<>(StoreOperation.class);
    private final Counter reloads;
    private final Counter reloadsFailed;
    private final IntSupplier openSessions;
    private final IntSupplier liveInstances;

    /**
     * @param counts        the counters the session layer bumps
     * @param openSessions  sessions open now
     * @param liveInstances shell instances alive now
     * @param targets       registries that get the meters too (an embedder's, the server's Prometheus and JMX)
     */
    public OpshellMetrics(ServerStats counts, IntSupplier openSessions, IntSupplier liveInstances,
            List<MeterRegistry> targets) {
        this.counts = counts;
        this.openSessions = openSessions;
        this.liveInstances = liveInstances;
        SimpleMeterRegistry local = new SimpleMeterRegistry(); // answers reads: \stats and snapshot()
        local.config().meterFilter(WITHOUT_BUCKETS);
        registry.add(local);
        targets.forEach(registry::add); // before any meter exists, so each registry sees every recording
        counter("opshell.sessions.opened", "sessions admitted", counts.sessionsOpened);
        counter("opshell.sessions.refused", "connections refused: busy, too fast, or not in the policy",
                counts.connectionsRefused);
        counter("opshell.commands", "input lines run: shell input and host commands", counts.commands);
        counter("opshell.inputs.rate.limited", "inputs dropped by a profile's command or byte rate", counts.rateLimited);
        counter("opshell.permission.denied", "state calls and host commands refused by the policy", counts.permissionDenied);
        counter("opshell.shell.traps", "shell instances ended by a trap, deadline or failed start", counts.traps);
        Gauge.builder("opshell.sessions.open", openSessions, s -> s.getAsInt())
                .description("sessions open now").strongReference(true).register(registry);
        Gauge.builder("opshell.shell.instances", liveInstances, s -> s.getAsInt())
                .description("shell instances alive now (one per session, briefly two while one is replaced)")
                .strongReference(true).register(registry);
        steps = Timer.builder(STEP).description(STEP_DESCRIPTION).serviceLevelObjectives(STEP_BUCKETS).register(registry);
        stepsRead = local.get(STEP).timer();
        for (StoreOperation op : StoreOperation.values()) {
            storeOk.put(op, storeTimer(op, "ok"));
            storeFailed.put(op, storeTimer(op, "error"));
        }
        reloads = Counter.builder("opshell.policy.reloads").tag("outcome", "ok")
                .description("policy reloads (SIGHUP or \\reload)").register(registry);
        reloadsFailed = Counter.builder("opshell.policy.reloads").tag("outcome", "error")
                .description("policy reloads (SIGHUP or \\reload)").register(registry);
    }

    private void counter(String name, String description, AtomicLong value) {
        FunctionCounter.builder(name, value, AtomicLong::get).description(description).register(registry);
    }

    /**
     * Store calls are counted and timed as a count and a total (a function timer, read when a
     * registry publishes): a kv {@code get} makes one, and a full timer recorded into every bound
     * registry (JMX's keeps a decaying sample under a lock) cost more than the in-memory store call.
     */
    private CallTimes storeTimer(StoreOperation op, String outcome) {
        CallTimes times = new CallTimes();
        FunctionTimer.builder("opshell.store.operations", times, t -> t.count.sum(), t -> t.nanos.sum(), TimeUnit.NANOSECONDS)
                .tag("operation", op.tag()).tag("outcome", outcome)
                .description("state store calls made by sessions, and their time (audit write included)")
                .register(registry);
        return times;
    }

    /** How many calls of one kind, and their total time. */
    private static final class CallTimes {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();

        void record(long n) {
            count.increment();
            nanos.add(n);
        }
    }

    /**
     * Adds {@code target} to the registries that get these meters, after the start: the meters
     * appear there at once, counters with their totals, timers from now on.
     */
    public void bindTo(MeterRegistry target) {
        registry.add(target);
    }

    /**
     * For a registry whose timers cost much per record: keeps the step timer out of it. JMX's
     * timers update a decaying sample under a lock on every record; for the step, recorded on every
     * command, that measured about 0.2 µs a step on one thread, 0.7 µs with two contending, and 3%
     * of a session thread's CPU. Give such a registry {@link #bindStepTotals} instead.
     */
    public static MeterFilter withoutStepTimer() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.TIMER && id.getName().equals(STEP));
    }

    /** Registers in {@code target} the steps' count and total time ({@link #STEP_TOTALS}), read when it publishes them. */
    public void bindStepTotals(MeterRegistry target) {
        FunctionTimer.builder(STEP_TOTALS, stepsRead, Timer::count, t -> t.totalTime(TimeUnit.NANOSECONDS), TimeUnit.NANOSECONDS)
                .description(STEP_DESCRIPTION).register(target);
    }

    /** The registry holding every opshell meter (a composite over the bound registries). */
    public MeterRegistry registry() {
        return registry;
    }

    public void sessionOpened() {
        counts.sessionsOpened.incrementAndGet();
    }

    public void connectionRefused() {
        counts.connectionsRefused.incrementAndGet();
    }

    /** {@code lines} input lines went to a shell. */
    public void commands(long lines) {
        counts.commands.addAndGet(lines);
    }

    public void rateLimited() {
        counts.rateLimited.incrementAndGet();
    }

    public void permissionDenied() {
        counts.permissionDenied.incrementAndGet();
    }

    /** A shell instance trapped, hit its deadline, or failed to start. */
    public void trapped() {
        counts.traps.incrementAndGet();
    }

    /** One shell step took {@code nanos} of wall-clock time. */
    public void stepTook(long nanos) {
        steps.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One store call took {@code nanos}; {@code failed} when it threw. */
    public void storeOperation(StoreOperation op, long nanos, boolean failed) {
        (failed ? storeFailed : storeOk).get(op).record(nanos);
    }

    public void policyReloaded(boolean ok) {
        (ok ? reloads : reloadsFailed).increment();
    }

    /** The numbers right now, from the same meters every registry sees. */
    public StatsSnapshot snapshot() {
        long storeCalls = 0;
        for (StoreOperation op : StoreOperation.values()) {
            storeCalls += storeOk.get(op).count.sum() + storeFailed.get(op).count.sum();
        }
        return new StatsSnapshot(openSessions.getAsInt(), counts.sessionsOpened.get(), counts.connectionsRefused.get(),
                counts.commands.get(), counts.rateLimited.get(), counts.permissionDenied.get(), counts.traps.get(),
                liveInstances.getAsInt(), stepsRead.count(), (long) stepsRead.mean(TimeUnit.MICROSECONDS),
                (long) stepsRead.max(TimeUnit.MICROSECONDS), storeCalls);
    }
}
