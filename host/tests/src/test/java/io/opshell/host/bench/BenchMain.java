package io.opshell.host.bench;

import io.opshell.host.bench.Protocol.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The benchmark behind {@code scripts/bench}: what the sandbox costs, measured in one run on one
 * machine against Redis, a plain-Java kv server and a raw echo server, all with the same client
 * code ({@link Harness}; only {@link Protocol} differs). Prints a table, writes
 * {@code results/bench-TIMESTAMP.csv} and {@code .png}, and exits 1 naming the target if any target
 * failed or answered wrongly. {@code --quick} checks that every target works with few iterations
 * (CI); its numbers mean nothing.
 *
 * <pre>
 * BenchMain [--quick] [--out DIR] [--tmp DIR] [--jar opshell.jar] [--pidfile FILE] [--cmdline TEXT] [--commit SHA]
 * </pre>
 */
public final class BenchMain {
    /** Iteration counts; fixed per mode, never adapted to the measurements. */
    record Config(boolean quick, int setupWarmup, int setupSessions, int rtWarmup, int rtCount, int tputWarmupPerClient,
            int tputTotalOps, int[] clients, int idleSessions, int crowdSessions, int schemeWarmup, int schemeRuns, long settleMillis, int crossCommands, int loopCalls,
            int loopWarmup, int loopSamples, int rounds, int chunkWarmup, long warmupMillis, int tputRounds,
            long tputWarmupMillis, long phaseTimeoutMillis, long totalTimeoutMillis) {
        static Config fullMode() {
            return new Config(false, 100, 1_000, 2_000, 20_000, 100, 20_000, new int[] {1, 8, 64}, 1_000, 10_000, 5, 10, 2_000,
                    1_000, 5_000, 3, 25, 5, 500, STEADY_STATE_WARMUP_MILLIS, 3, THROUGHPUT_WARMUP_MILLIS, 300_000, 3_600_000);
        }

        static Config quickMode() {
            return new Config(true, 10, 50, 100, 500, 5, 512, new int[] {1, 8, 64}, 50, 200, 1, 2, 200,
                    50, 500, 1, 5, 2, 50, 0, 1, 0, 60_000, 600_000);
        }

        int opsPerClient(int clients) {
            return (tputTotalOps + clients - 1) / clients;
        }

        String describe() {
            return String.format(Locale.ROOT,
                    "each target warmed up for at least %d ms before its first measured session setup, round trip of each op and (fib 25)"
                            + " (its steady state: a JVM server compiles its hot paths after tens of thousands of commands; the second placement's round trips follow warm);"
                            + " targets interleaved in %d rounds, each preceded by %d (sessions: %d) unmeasured warm-up operations; session setup %d (+%d warm-up) sessions, one every "
                            + Harness.SETUP_PACING.toMillis() + " ms;"
                            + " round trips %d (+%d warm-up) per op on one connection; throughput %d ops per run"
                            + " split over %s clients, %d runs per target interleaved, the median run reported (+%d warm-up ops per client"
                            + " before each run, and before a target's first run at each client count at least %d ms of them, all clients at once,"
                            + " since a JVM server recompiles its hot paths for many clients); %d idle sessions (%d on the targets that hold a crowd); scheme (fib 25) %d (+%d warm-up) runs; crossings: %d commands, loops of %d calls x %d steps",
                    warmupMillis, rounds, chunkWarmup, chunkWarmup / 10, setupSessions, setupWarmup, rtCount, rtWarmup, tputTotalOps, Arrays.toString(clients), tputRounds, tputWarmupPerClient,
                    tputWarmupMillis,
                    idleSessions, crowdSessions, schemeRuns, schemeWarmup, crossCommands, loopCalls, loopSamples);
        }
    }

    /**
     * The targets that must hold a crowd of idle sessions (10,000 in the full run): Redis's default,
     * and what opshell promises on Chicory. Not wasmtime: it holds about 1,900 per process.
     */
    private static final java.util.Set<String> CROWD_TARGETS = java.util.Set.of("redis", "opshell-chicory");

    /**
     * The least warm-up before a target's first measured session setups, round trips and Scheme
     * runs: the server's steady state is what an operator meets, and a JVM server (opshell on
     * either engine, the native Java target) reaches it only after HotSpot has compiled its hot
     * paths, measured at 40,000-80,000 round trips for opshell on Chicory (several seconds), and
     * longer for the Scheme evaluator's huge methods. Every target gets the same.
     */
    private static final long STEADY_STATE_WARMUP_MILLIS = 6_000;

    /**
     * The least warm-up of each target at each client count before its first measured throughput
     * run, all clients at once. Why: many concurrent sessions take a JVM server down other paths
     * than one connection does (contended locks, other call profiles), and HotSpot recompiles for
     * them: opshell on Chicory was measured at 60-70 µs of server CPU per 64-client {@code get} in
     * its first half-second run and 45-55 µs from the third on. Every target gets the same.
     */
    private static final long THROUGHPUT_WARMUP_MILLIS = 3_000;

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Path.of("results"), tmp = null, jar = Path.of("host/server/target/opshell.jar"), pidFile = null;
        String cmdline = "BenchMain " + String.join(" ", args), commit = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--tmp" -> tmp = Path.of(args[++i]);
                case "--jar" -> jar = Path.of(args[++i]);
                case "--pidfile" -> pidFile = Path.of(args[++i]);
                case "--cmdline" -> cmdline = args[++i];
                case "--commit" -> commit = args[++i];
                default -> {
                    System.err.println("error: unknown argument " + args[i]
                            + "; usage: BenchMain [--quick] [--out DIR] [--tmp DIR] [--jar FILE] [--pidfile FILE] [--cmdline TEXT] [--commit SHA]");
                    System.exit(2);
                }
            }
        }
        Config cfg = quick ? Config.quickMode() : Config.fullMode();
        // The embedded servers of the crossing measurements log every session; the targets log to their own files.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Runtime.getRuntime().addShutdownHook(new Thread(Target::stopAll, "bench-stop-servers"));
        startWatchdog(cfg.totalTimeoutMillis());
        boolean ownTmp = tmp == null;
        if (ownTmp) {
            tmp = Files.createTempDirectory(Path.of("/tmp"), "opsh-bench"); // short: sun_path holds 108 bytes
        }
        Files.createDirectories(out);
        int code;
        try {
            code = run(cfg, out.toAbsolutePath(), tmp, jar.toAbsolutePath(), pidFile, cmdline, commit);
        } finally {
            Target.stopAll();
            if (ownTmp) {
                deleteTree(tmp);
            }
        }
        System.out.flush();
        System.exit(code);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("warning: could not remove " + dir + ": " + e.getMessage());
        }
    }

    private static void startWatchdog(long millis) {
        Thread.ofPlatform().daemon().name("bench-watchdog").start(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("error: the benchmark ran longer than " + millis / 1000 + " s; stopping every server and aborting");
            Target.stopAll();
            Runtime.getRuntime().halt(3);
        });
    }

    private static int run(Config cfg, Path out, Path tmp, Path jar, Path pidFile, String cmdline, String commit) throws Exception {
        ZonedDateTime now = ZonedDateTime.now();
        String stamp = now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Results r = new Results();
        r.meta.put("date", now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z")));
        r.meta.put("command", cmdline);
        r.meta.put("mode", cfg.quick() ? "quick (smoke test: few iterations, the numbers mean nothing)" : "full");
        r.meta.put("nproc", firstLine(List.of("nproc"), Integer.toString(Runtime.getRuntime().availableProcessors())));
        r.meta.put("memory", memTotal());
        r.meta.put("cpu", cpuModel());
        r.meta.put("load", loadAverage() + " (1, 5, 15 min; other work on the machine skews absolute times)");
        r.meta.put("kernel", firstLine(List.of("uname", "-sr"), System.getProperty("os.name")));
        r.meta.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        String redisServer = findOnPath("redis-server");
        r.meta.put("redis", redisServer == null ? "redis-server not found" : firstLine(List.of(redisServer, "--version"), "?"));
        if (!commit.isEmpty()) {
            r.meta.put("commit", commit);
        }
        r.meta.put("iterations", cfg.describe());

        System.out.println("opshell benchmark: what the sandbox costs");
        for (var e : r.meta.entrySet()) {
            System.out.printf(Locale.ROOT, "%-11s %s%n", e.getKey() + ":", e.getValue());
        }
        System.out.println();

        int maxSessions = Math.max(2_000, Math.max(cfg.idleSessions(), cfg.crowdSessions()) + 100);
        Target redis = redisServer == null ? null : Target.redis(tmp, redisServer);
        List<Target> targets = java.util.stream.Stream.of(
                Target.rawEcho(tmp),
                redis,
                Target.nativeJava(tmp),
                Target.opshell(tmp, jar, maxSessions, "wasmtime"),
                Target.opshell(tmp, jar, maxSessions, "chicory"),
                Target.opshellSqlite(tmp, jar, maxSessions),
                redis == null ? null : Target.opshellRedis(tmp, jar, maxSessions, redis)) // started after redis
                .filter(t -> t != null).toList();
        if (redisServer == null) {
            r.failures.put("redis", "redis-server is not installed (apt-get install -y redis-server; scripts/bench installs it as root)");
            r.failures.put("opshell-redis", "needs the redis target's server");
        }
        pinned = Placement.supported();
        r.meta.put("placement", pinned
                ? "session setup, round trips, crossings: " + Placement.SAME_CPU + "; round trips again with " + Placement.OTHER_CPU
                        + "; throughput, idle sessions: " + Placement.ALL_CPUS + " (taskset)"
                : "not pinned (taskset missing or one CPU): round trips may mix same-CPU and cross-CPU wake-ups");
        System.out.println("placement:  " + r.meta.get("placement"));
        System.out.println("targets (each its own process; session setup = connect() until ready):");
        for (Target t : targets) {
            System.out.printf(Locale.ROOT, "  %-12s %s; ready = %s%n", t.name, t.description, t.protocol.readyMeans());
        }
        System.out.println();

        try {
            for (Target t : targets) {
                phase(r, t, "start", () -> t.start(pidFile));
            }
            place(r, Placement.SAME_CPU, targets);
            progress("session setup");
            Map<Target, Histogram> setup = new HashMap<>();
            for (int round = 0; round < cfg.rounds(); round++) {
                int warm = round == 0 ? cfg.setupWarmup() : cfg.chunkWarmup() / 10, n = cfg.setupSessions() / cfg.rounds();
                long warmMillis = round == 0 ? cfg.warmupMillis() : 0;
                for (Target t : targets) {
                    phase(r, t, "session setup", () -> setup.computeIfAbsent(t, k -> Stats.nanos())
                            .add(Harness.sessionSetup(t, warm, warmMillis, n, Harness.SETUP_PACING)));
                }
            }
            for (Target t : targets) {
                phase(r, t, "session setup", () -> {
                    Histogram s = setup.get(t);
                    r.put(t.name, "setup.p50", Stats.micros(s, 50));
                    r.put(t.name, "setup.p99", Stats.micros(s, 99));
                });
            }
            progress("round trips");
            for (Op op : List.of(Op.GET, Op.SET)) {
                roundTrips(r, cfg, targets, op, "");
            }
            if (pinned) {
                place(r, Placement.OTHER_CPU, targets);
                progress("round trips, " + Placement.OTHER_CPU);
                for (Op op : List.of(Op.GET, Op.SET)) {
                    roundTrips(r, cfg, targets, op, ".other");
                }
            }
            place(r, Placement.ALL_CPUS, targets);
            progress("throughput");
            int maxClients = cfg.clients()[cfg.clients().length - 1];
            for (Op op : List.of(Op.GET, Op.SET)) {
                for (int c : cfg.clients()) {
                    throughput(r, cfg, targets, op, c, c == maxClients);
                }
            }
            progress("idle sessions");
            for (Target t : targets) {
                phase(r, t, "idle sessions", () -> {
                    Harness.IdleMemory m = Harness.idleSessions(t, cfg.idleSessions(), cfg.settleMillis());
                    r.put(t.name, "mem.before", m.rssBefore() / 1048576.0);
                    r.put(t.name, "mem.after", m.rssAfter() / 1048576.0);
                    r.put(t.name, "mem.per_session", m.perSessionBytes() / 1024.0);
                });
            }
            progress("scheme compute");
            for (Target t : targets) {
                if (Results.SUBJECTS.contains(t.name)) {
                    phase(r, t, "scheme compute", () -> r.put(t.name, "scheme.fib25",
                            Harness.schemeMillis(t, Harness.FIB, "(fib 25)", "75025", cfg.schemeWarmup(), cfg.warmupMillis(),
                            cfg.schemeRuns())));
                }
            }
            progress("a crowd of idle sessions");
            for (Target t : targets) {
                if (CROWD_TARGETS.contains(t.name)) {
                    phase(r, t, "a crowd of idle sessions", () -> r.put(t.name, "mem.crowd.per_session",
                            Harness.idleSessions(t, cfg.crowdSessions(), cfg.settleMillis()).perSessionBytes() / 1024.0));
                }
            }
        } finally {
            for (Target t : targets) {
                t.stop();
            }
        }

        progress("crossings");
        try {
            place(r, Placement.SAME_CPU, List.of());
        } catch (Exception | LinkageError e) {
            r.failures.put("crossings", String.valueOf(e));
            System.err.println("FAILED: crossings: " + e);
        }
        for (String subject : Results.SUBJECTS) {
            String engine = subject.substring("opshell-".length());
            try {
                Path dir = Files.createTempDirectory(tmp, "x");
                Crossings.Counts counts = Crossings.count(dir, cfg.crossCommands(), engine);
                Crossings.Costs costs = Crossings.costs(dir, cfg.loopCalls(), cfg.loopWarmup(), cfg.loopSamples(), engine);
                Crossings.Direct direct = Crossings.direct(cfg.loopCalls(), cfg.loopWarmup(), cfg.loopSamples(), engine);
                r.crossings.put(subject, new Results.Crossing(counts, costs, direct));
                checkCounts(counts);
            } catch (Exception | LinkageError e) {
                r.failures.put("crossings " + subject, String.valueOf(e));
                System.err.println("FAILED: crossings " + subject + ": " + e);
            }
        }
        System.err.println();

        r.meta.put("load at end", loadAverage());
        String table = Report.table(r, cfg.clients(), cfg.idleSessions(), cfg.crowdSessions());
        System.out.println(table);
        Path csv = out.resolve("bench-" + stamp + ".csv");
        Path png = out.resolve("bench-" + stamp + ".png");
        Report.writeCsv(csv, r, cfg.clients(), cfg.idleSessions(), cfg.crowdSessions());
        String subtitle = r.meta.get("date") + "   nproc " + r.meta.get("nproc") + ", " + r.meta.get("memory") + ", "
                + r.meta.get("cpu") + "   " + (cfg.quick() ? "QUICK (smoke, numbers mean nothing)" : "full run");
        Chart.write(png, r, cfg.clients(), "opshell: what the sandbox costs", subtitle);
        System.out.println("load average at the end: " + r.meta.get("load at end"));
        System.out.println("wrote " + csv);
        System.out.println("wrote " + png);

        if (!r.failures.isEmpty()) {
            System.err.println();
            for (var e : r.failures.entrySet()) {
                System.err.println("FAILED: " + e.getKey() + ": " + e.getValue());
            }
            System.err.println("error: " + r.failures.size() + " target(s) failed: " + String.join(", ", r.failures.keySet()));
            return 1;
        }
        return 0;
    }

    /** The instrumented run must see exactly one guest entry per command and whole counts: anything else is a harness bug. */
    private static void checkCounts(Crossings.Counts counts) throws IOException {
        for (var e : counts.perCommand().entrySet()) {
            Double steps = e.getValue().get("guest opshell_step");
            if (steps == null || steps != 1.0) {
                throw new IOException("expected one opshell_step per " + e.getKey().lower() + " command, counted " + steps);
            }
        }
    }

    /** Whether {@link Placement}s are applied (taskset present, two or more CPUs). */
    private static boolean pinned;

    private static void place(Results r, Placement p, List<Target> targets) {
        if (!pinned) {
            return;
        }
        try {
            p.apply(targets);
        } catch (IOException e) {
            r.failures.put("placement", e.getMessage());
            System.err.println("FAILED: placement: " + e.getMessage());
            pinned = false;
        }
    }

    /** One op's round trips on one connection per target, the targets interleaved in rounds; keys get {@code suffix}. */
    private static void roundTrips(Results r, Config cfg, List<Target> targets, Op op, String suffix) {
        Map<Target, Harness.RoundTrips> runs = new HashMap<>();
        try {
            for (Target t : targets) {
                phase(r, t, op.lower() + " round trips", () -> runs.put(t, new Harness.RoundTrips(t, op, cfg.rtWarmup(),
                        suffix.isEmpty() ? cfg.warmupMillis() : 0, cfg.rtCount())));
            }
            for (int round = 0; round < cfg.rounds(); round++) {
                for (Target t : targets) {
                    phase(r, t, op.lower() + " round trips", () -> runs.get(t).measure(cfg.chunkWarmup(), cfg.rtCount() / cfg.rounds()));
                }
            }
            for (Target t : targets) {
                phase(r, t, op.lower() + " round trips", () -> {
                    Histogram s = runs.get(t).samples();
                    String k = "rt." + op.lower() + ".";
                    r.put(t.name, k + "p50" + suffix, Stats.micros(s, 50));
                    r.put(t.name, k + "p99" + suffix, Stats.micros(s, 99));
                    r.put(t.name, k + "p999" + suffix, Stats.micros(s, 99.9));
                });
            }
        } finally {
            runs.values().forEach(Harness.RoundTrips::close);
        }
    }

    /**
     * Throughput of {@code op} with {@code clients} clients: {@code cfg.tputRounds()} runs per
     * target, the targets taking turns (so that drift on a shared machine hits every target alike);
     * the median run's rate is reported, and latencies over all runs.
     */
    private static void throughput(Results r, Config cfg, List<Target> targets, Op op, int clients, boolean tail) {
        Map<Target, double[]> rates = new HashMap<>();
        Map<Target, Histogram> latencies = new HashMap<>();
        String what = op.lower() + " throughput x" + clients;
        for (int round = 0; round < cfg.tputRounds(); round++) {
            long warmMillis = round == 0 ? cfg.tputWarmupMillis() : 0;
            int run = round;
            for (Target t : targets) {
                phase(r, t, what, () -> {
                    Harness.Throughput tp = Harness.throughput(t, op, clients, cfg.tputWarmupPerClient(), warmMillis,
                            cfg.opsPerClient(clients), cfg.phaseTimeoutMillis());
                    rates.computeIfAbsent(t, k -> new double[cfg.tputRounds()])[run] = tp.opsPerSecond();
                    latencies.computeIfAbsent(t, k -> Stats.nanos()).add(tp.latencies());
                });
            }
        }
        for (Target t : targets) {
            phase(r, t, what, () -> {
                double[] runs = rates.get(t);
                Arrays.sort(runs);
                String k = "tput." + op.lower() + "." + clients;
                r.put(t.name, k, runs[runs.length / 2]);
                r.put(t.name, k + ".p50", Stats.micros(latencies.get(t), 50));
                if (tail) {
                    r.put(t.name, k + ".p99", Stats.micros(latencies.get(t), 99));
                }
            });
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    /** Runs one measurement of one target unless the target already failed; a failure is recorded, reported, and ends that target. */
    private static void phase(Results r, Target t, String what, Body body) {
        if (t.failure != null) {
            return;
        }
        try {
            body.run();
            if (!t.alive()) {
                throw new IOException("the server process exited during " + what + "; log tail:\n" + t.logTail());
            }
        } catch (Exception | LinkageError e) {
            String msg = e instanceof Harness.BenchFailure ? e.getMessage() : t.name + ": " + what + ": " + e;
            t.failure = msg;
            r.failures.put(t.name, msg);
            System.err.println("FAILED: " + msg);
        }
    }

    private static void progress(String what) {
        System.err.println("... " + what);
    }

    private static String firstLine(List<String> command, String fallback) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || s.isEmpty()) {
                return fallback;
            }
            return s.lines().findFirst().orElse(fallback);
        } catch (IOException | InterruptedException e) {
            return fallback;
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.1f GiB RAM", kib / 1048576.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "RAM unknown";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    private static String findOnPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/usr/local/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
