package io.opshell.host.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything one run measured, by target and metric, plus the run's description. */
final class Results {
    /** Targets in column order; the opshell ones, one per engine, are last and are what the ratios are about. */
    static final List<String> TARGETS = List.of("raw-echo", "redis", "native-java", "opshell-wasmtime", "opshell-chicory",
            "opshell-sqlite", "opshell-redis");
    /** The opshell targets, by engine: {@code opshell-ENGINE}. */
    static final List<String> SUBJECTS = List.of("opshell-wasmtime", "opshell-chicory");
    /** Compute in the Scheme shell: compared between the engines (chicory/wasmtime), not with the baselines. */
    static final String SCHEME_FIB25 = "scheme.fib25";
    /**
     * opshell (on the default engine) with the durable stores, compared with Redis itself and with
     * the same opshell in memory: the cost of the store.
     */
    static final List<String> STORE_SUBJECTS = List.of("opshell-sqlite", "opshell-redis");
    static final List<String> STORE_BASELINES = List.of("redis", "opshell-wasmtime");
    /** The targets opshell is compared with in the headline, in order. */
    static final List<String> BASELINES = List.of("redis", "native-java", "raw-echo");

    enum Better { LOWER, HIGHER }

    record Metric(String key, String label, String unit, Better better) {}

    /** Table rows in order. */
    static List<Metric> metrics(int[] clients, int idleSessions, int crowdSessions) {
        List<Metric> m = new ArrayList<>();
        m.add(new Metric("setup.p50", "session setup p50", "µs", Better.LOWER));
        m.add(new Metric("setup.p99", "session setup p99", "µs", Better.LOWER));
        for (String op : List.of("get", "set")) {
            m.add(new Metric("rt." + op + ".p50", op + " round trip p50", "µs", Better.LOWER));
            m.add(new Metric("rt." + op + ".p99", op + " round trip p99", "µs", Better.LOWER));
            m.add(new Metric("rt." + op + ".p999", op + " round trip p99.9", "µs", Better.LOWER));
        }
        for (String op : List.of("get", "set")) {
            m.add(new Metric("rt." + op + ".p50.other", op + " round trip p50, server other CPU", "µs", Better.LOWER));
            m.add(new Metric("rt." + op + ".p99.other", op + " round trip p99, server other CPU", "µs", Better.LOWER));
        }
        for (String op : List.of("get", "set")) {
            for (int c : clients) {
                m.add(new Metric("tput." + op + "." + c, op + " throughput, " + c + (c == 1 ? " client" : " clients"), "ops/s",
                        Better.HIGHER));
            }
        }
        for (String op : List.of("get", "set")) {
            int c = clients[clients.length - 1];
            m.add(new Metric("tput." + op + "." + c + ".p99", op + " p99 under " + c + " clients", "µs", Better.LOWER));
        }
        m.add(new Metric("mem.before", "server RSS before idle sessions", "MiB", Better.LOWER));
        m.add(new Metric("mem.after", "server RSS with " + idleSessions + " idle sessions", "MiB", Better.LOWER));
        m.add(new Metric("mem.per_session", "RSS per idle session", "KiB", Better.LOWER));
        m.add(new Metric(SCHEME_FIB25, "scheme (fib 25), one step", "ms", Better.LOWER));
        m.add(new Metric("mem.crowd.per_session", "RSS per idle session, " + crowdSessions + " open", "KiB", Better.LOWER));
        return m;
    }

    /** Rows of the durable-store comparison: metric key and label. */
    static List<String[]> storeHeadline(int[] clients) {
        int c = clients[clients.length - 1];
        return List.of(
                new String[] {"rt.get.p50", "get round trip p50"},
                new String[] {"rt.set.p50", "set round trip p50"},
                new String[] {"rt.set.p99", "set round trip p99"},
                new String[] {"tput.get." + c, "get throughput, " + c + " clients"},
                new String[] {"tput.set." + c, "set throughput, " + c + " clients"});
    }

    /** Headline rows: metric key and the label used there. */
    static List<String[]> headline(int[] clients) {
        int c = clients[clients.length - 1];
        return List.of(
                new String[] {"rt.get.p50", "get round trip p50"},
                new String[] {"rt.set.p50", "set round trip p50"},
                new String[] {"rt.get.p99", "get round trip p99"},
                new String[] {"rt.get.p50.other", "get p50, server on other CPU"},
                new String[] {"tput.get." + c, "get throughput, " + c + " clients"},
                new String[] {"tput.set." + c, "set throughput, " + c + " clients"},
                new String[] {"setup.p50", "session setup p50"},
                new String[] {"mem.per_session", "RSS per idle session"},
                new String[] {"mem.crowd.per_session", "RSS per idle session, crowd"});
    }

    final Map<String, Map<String, Double>> values = new LinkedHashMap<>();
    final Map<String, String> meta = new LinkedHashMap<>();
    final Map<String, String> failures = new LinkedHashMap<>();
    /** Host/guest crossings measured per engine, by subject target name. */
    final Map<String, Crossing> crossings = new LinkedHashMap<>();

    /** One engine's crossing measurements; a part not measured is null. */
    record Crossing(Crossings.Counts counts, Crossings.Costs costs, Crossings.Direct direct) {}

    void put(String target, String key, double value) {
        values.computeIfAbsent(target, k -> new LinkedHashMap<>()).put(key, value);
    }

    Double get(String target, String key) {
        Map<String, Double> m = values.get(target);
        return m == null ? null : m.get(key);
    }

    /** How many times more {@code subject} costs than {@code baseline} on {@code metric} (time, memory: ratio; throughput: inverse). */
    Double ratio(Metric metric, String subject, String baseline) {
        Double s = get(subject, metric.key()), b = get(baseline, metric.key());
        if (s == null || b == null || s <= 0 || b <= 0) {
            return null;
        }
        return metric.better() == Better.LOWER ? s / b : b / s;
    }
}
