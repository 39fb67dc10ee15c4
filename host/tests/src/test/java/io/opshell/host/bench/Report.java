package io.opshell.host.bench;

import io.opshell.host.bench.Protocol.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text table printed to stdout and the CSV written next to the chart. */
final class Report {
    private Report() {}

    static String fmt(Double v, String unit) {
        if (v == null || v.isNaN()) {
            return "-";
        }
        double a = Math.abs(v);
        if (unit.equals("ops/s") || a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String ratio(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.2fx", r);
    }

    static String table(Results r, int[] clients, int idleSessions, int crowdSessions) {
        StringBuilder sb = new StringBuilder();
        List<Results.Metric> metrics = Results.metrics(clients, idleSessions, crowdSessions);

        sb.append("HEADLINE: cost ratios, opshell / other, per engine (x = how many times more opshell costs;\n")
                .append("          for throughput: the other's ops/s / opshell's ops/s)\n");
        sb.append(String.format(Locale.ROOT, "  %-32s", ""));
        for (String s : Results.SUBJECTS) {
            for (String b : Results.BASELINES) {
                sb.append(String.format(Locale.ROOT, "%16s", shortName(s) + "/" + shortName(b)));
            }
        }
        sb.append('\n');
        for (String[] h : Results.headline(clients)) {
            Results.Metric m = metrics.stream().filter(x -> x.key().equals(h[0])).findFirst().orElseThrow();
            sb.append(String.format(Locale.ROOT, "  %-32s", h[1]));
            for (String s : Results.SUBJECTS) {
                for (String b : Results.BASELINES) {
                    sb.append(String.format(Locale.ROOT, "%16s", ratio(r.ratio(m, s, b))));
                }
            }
            sb.append('\n');
        }
        sb.append('\n');
        sb.append(engines(r, metrics));
        sb.append(stores(r, clients, metrics));

        sb.append(String.format(Locale.ROOT, "%-36s %-6s", "metric", "unit"));
        for (String t : Results.TARGETS) {
            sb.append(String.format(Locale.ROOT, "%17s", t));
        }
        for (String s : Results.SUBJECTS) {
            for (String b : Results.BASELINES) {
                sb.append(String.format(Locale.ROOT, " %15s", shortName(s) + "/" + shortName(b)));
            }
        }
        sb.append('\n');
        sb.append("-".repeat(36 + 1 + 6 + 17 * Results.TARGETS.size() + 16 * Results.BASELINES.size() * Results.SUBJECTS.size()))
                .append('\n');
        for (Results.Metric m : metrics) {
            sb.append(String.format(Locale.ROOT, "%-36s %-6s", m.label(), m.unit()));
            for (String t : Results.TARGETS) {
                String cell = r.failures.containsKey(t) && r.get(t, m.key()) == null ? "FAILED" : fmt(r.get(t, m.key()), m.unit());
                sb.append(String.format(Locale.ROOT, "%17s", cell));
            }
            for (String s : Results.SUBJECTS) {
                for (String b : Results.BASELINES) {
                    sb.append(String.format(Locale.ROOT, " %15s", ratio(r.ratio(m, s, b))));
                }
            }
            sb.append('\n');
        }
        sb.append('\n');
        sb.append(crossings(r));
        return sb.toString();
    }

    /** What one engine costs against the other where no baseline runs the same work: Scheme compute. */
    static String engines(Results r, List<Results.Metric> metrics) {
        Results.Metric m = metrics.stream().filter(x -> x.key().equals(Results.SCHEME_FIB25)).findFirst().orElseThrow();
        return String.format(Locale.ROOT, "ENGINES: %s: wasmtime %s ms, chicory %s ms; chicory/wasmtime %s%n%n", m.label(),
                fmt(r.get("opshell-wasmtime", m.key()), m.unit()), fmt(r.get("opshell-chicory", m.key()), m.unit()),
                ratio(r.ratio(m, "opshell-chicory", "opshell-wasmtime")));
    }

    /** The cost of a durable store: opshell-sqlite and opshell-redis against Redis itself and opshell in memory. */
    static String stores(Results r, int[] clients, List<Results.Metric> metrics) {
        StringBuilder sb = new StringBuilder();
        sb.append("DURABLE STORES: cost ratios (x = how many times more it costs; throughput: the other's ops/s / its ops/s)\n");
        sb.append(String.format(Locale.ROOT, "  %-32s", ""));
        for (String s : Results.STORE_SUBJECTS) {
            for (String b : Results.STORE_BASELINES) {
                sb.append(String.format(Locale.ROOT, "%24s", shortName(s) + "/" + shortName(b)));
            }
        }
        sb.append('\n');
        for (String[] h : Results.storeHeadline(clients)) {
            Results.Metric m = metrics.stream().filter(x -> x.key().equals(h[0])).findFirst().orElseThrow();
            sb.append(String.format(Locale.ROOT, "  %-32s", h[1]));
            for (String s : Results.STORE_SUBJECTS) {
                for (String b : Results.STORE_BASELINES) {
                    sb.append(String.format(Locale.ROOT, "%24s", ratio(r.ratio(m, s, b))));
                }
            }
            sb.append('\n');
        }
        sb.append('\n');
        return sb.toString();
    }

    private static String shortName(String target) {
        return switch (target) {
            case "native-java" -> "native";
            case "raw-echo" -> "raw";
            case "opshell-wasmtime" -> "wasmtime";
            case "opshell-chicory" -> "chicory";
            case "opshell-sqlite" -> "sqlite";
            case "opshell-redis" -> "opshell-redis";
            default -> target;
        };
    }

    static String crossings(Results r) {
        StringBuilder sb = new StringBuilder();
        for (String subject : Results.SUBJECTS) {
            Results.Crossing x = r.crossings.getOrDefault(subject, new Results.Crossing(null, null, null));
            sb.append(crossings(r, subject, x));
        }
        return sb.toString();
    }

    private static String crossings(Results r, String subject, Results.Crossing x) {
        StringBuilder sb = new StringBuilder();
        String failureKey = "crossings " + subject;
        Crossings.Counts counts = x.counts();
        Crossings.Costs costs = x.costs();
        Crossings.Direct direct = x.direct();
        sb.append("HOST/GUEST CROSSINGS on ").append(subject).append(" (opshell's own host code, embedded in the harness JVM)\n");
        if (counts == null) {
            sb.append("  per command: not measured").append(r.failures.containsKey(failureKey) ? " (FAILED)" : "").append('\n');
        } else {
            sb.append("  per command, counted by the host on the instrumented kv shell (").append(counts.commands())
                    .append(" commands each):\n");
            for (Map.Entry<Op, Map<String, Double>> e : counts.perCommand().entrySet()) {
                double upcalls = 0, entries = 0;
                List<String> parts = new ArrayList<>();
                for (Map.Entry<String, Double> c : e.getValue().entrySet()) {
                    parts.add(c.getKey().replace("wasi_snapshot_preview1.", "wasi ") + " " + fmt(c.getValue(), ""));
                    if (c.getKey().startsWith("guest ")) {
                        entries += c.getValue();
                    } else {
                        upcalls += c.getValue();
                    }
                }
                sb.append(String.format(Locale.ROOT, "    %-4s %s%n         = %s guest->host upcalls + %s host->guest calls%n",
                        e.getKey().lower(), String.join(", ", parts), fmt(upcalls, ""), fmt(entries, "")));
            }
        }
        if (costs == null) {
            sb.append("  cost per crossing: not measured").append(r.failures.containsKey(failureKey) ? " (FAILED)" : "").append('\n');
        } else {
            sb.append("  cost per crossing: a step looping ").append(costs.loopCalls())
                    .append(" calls, median of ").append(costs.samples())
                    .append(" steps, minus the same loop calling nothing (")
                    .append(fmt(costs.emptyStepMicros(), "µs")).append(" µs per step round trip):\n");
            for (Map.Entry<String, Double> e : costs.microsPerCall().entrySet()) {
                sb.append(String.format(Locale.ROOT, "    %-28s %8s µs%n", e.getKey(), fmt(e.getValue(), "µs")));
            }
        }
        if (direct != null) {
            sb.append("  without a socket, on ShellInstance directly (median of ").append(direct.samples()).append(" batches):\n");
            sb.append(String.format(Locale.ROOT, "    %-28s %8s µs%n", "host->guest call (empty step)", fmt(direct.stepCallMicros(), "µs")));
            for (Map.Entry<Op, Double> e : direct.kvCommandMicros().entrySet()) {
                sb.append(String.format(Locale.ROOT, "    %-28s %8s µs%n", "kv " + e.getKey().lower() + " command, in to out", fmt(e.getValue(), "µs")));
            }
        }
        if (counts != null && costs != null) {
            Double perCall = costs.microsPerCall().get("host.sum");
            for (Op op : List.of(Op.GET, Op.SET)) {
                Map<String, Double> per = counts.perCommand().get(op);
                Double s = r.get(subject, "rt." + op.lower() + ".p50"), n = r.get("native-java", "rt." + op.lower() + ".p50");
                if (per == null || perCall == null || s == null || n == null) {
                    continue;
                }
                double upcalls = per.entrySet().stream().filter(c -> !c.getKey().startsWith("guest ")).mapToDouble(Map.Entry::getValue).sum();
                sb.append(String.format(Locale.ROOT, "  %s: sandbox overhead (opshell - native-java round trip p50) %s µs", op.lower(), fmt(s - n, "µs")));
                if (direct != null && direct.kvCommandMicros().get(op) != null) {
                    sb.append(String.format(Locale.ROOT, "; the kv step alone %s µs = 1 call in (%s) + %s upcalls (%s at host.sum's %s each) + the rest",
                            fmt(direct.kvCommandMicros().get(op), "µs"), fmt(direct.stepCallMicros(), "µs"), fmt(upcalls, ""),
                            fmt(upcalls * perCall, "µs"), fmt(perCall, "µs")));
                } else {
                    sb.append(String.format(Locale.ROOT, "; %s upcalls x %s µs (host.sum) = %s µs", fmt(upcalls, ""), fmt(perCall, "µs"),
                            fmt(upcalls * perCall, "µs")));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    static void writeCsv(Path file, Results r, int[] clients, int idleSessions, int crowdSessions) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("kind,target,metric,unit,value");
        for (Map.Entry<String, String> e : r.meta.entrySet()) {
            lines.add(csv("meta", "", e.getKey(), "", e.getValue()));
        }
        List<Results.Metric> metrics = Results.metrics(clients, idleSessions, crowdSessions);
        for (String t : Results.TARGETS) {
            Map<String, Double> m = r.values.get(t);
            if (m == null) {
                continue;
            }
            for (Map.Entry<String, Double> e : m.entrySet()) {
                String unit = metrics.stream().filter(x -> x.key().equals(e.getKey())).map(Results.Metric::unit).findFirst()
                        .orElse(e.getKey().startsWith("rt.") || e.getKey().startsWith("tput.") ? "µs" : "");
                lines.add(csv("measure", t, e.getKey(), unit, num(e.getValue())));
            }
        }
        for (Results.Metric m : metrics) {
            for (String s : Results.SUBJECTS) {
                for (String b : Results.BASELINES) {
                    Double q = r.ratio(m, s, b);
                    if (q != null) {
                        lines.add(csv("ratio", s + "/" + b, m.key(), "x", num(q)));
                    }
                }
            }
        }
        for (Results.Metric m : metrics) {
            for (String s : Results.STORE_SUBJECTS) {
                for (String b : Results.STORE_BASELINES) {
                    Double q = r.ratio(m, s, b);
                    if (q != null) {
                        lines.add(csv("ratio", s + "/" + b, m.key(), "x", num(q)));
                    }
                }
            }
        }
        Results.Metric fib = metrics.stream().filter(x -> x.key().equals(Results.SCHEME_FIB25)).findFirst().orElseThrow();
        Double engines = r.ratio(fib, "opshell-chicory", "opshell-wasmtime");
        if (engines != null) {
            lines.add(csv("ratio", "opshell-chicory/opshell-wasmtime", fib.key(), "x", num(engines)));
        }
        for (Map.Entry<String, Results.Crossing> x : r.crossings.entrySet()) {
            crossingsCsv(lines, x.getKey(), x.getValue());
        }
        for (Map.Entry<String, String> e : r.failures.entrySet()) {
            lines.add(csv("failure", e.getKey(), "", "", e.getValue()));
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static void crossingsCsv(List<String> lines, String subject, Results.Crossing x) {
        if (x.counts() != null) {
            for (Map.Entry<Op, Map<String, Double>> e : x.counts().perCommand().entrySet()) {
                for (Map.Entry<String, Double> c : e.getValue().entrySet()) {
                    lines.add(csv("crossings", subject, e.getKey().lower() + ":" + c.getKey(), "per command", num(c.getValue())));
                }
            }
        }
        if (x.costs() != null) {
            lines.add(csv("crossing-cost", subject, "empty loop step round trip", "µs", num(x.costs().emptyStepMicros())));
            for (Map.Entry<String, Double> e : x.costs().microsPerCall().entrySet()) {
                lines.add(csv("crossing-cost", subject, e.getKey(), "µs per call", num(e.getValue())));
            }
        }
        if (x.direct() != null) {
            lines.add(csv("crossing-cost", subject, "host->guest call (empty step)", "µs per call", num(x.direct().stepCallMicros())));
            for (Map.Entry<Op, Double> e : x.direct().kvCommandMicros().entrySet()) {
                lines.add(csv("crossing-cost", subject, "kv " + e.getKey().lower() + " command without socket", "µs", num(e.getValue())));
            }
        }
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String csv(String... fields) {
        List<String> out = new ArrayList<>();
        for (String f : fields) {
            out.add(f.contains(",") || f.contains("\"") || f.contains("\n") ? "\"" + f.replace("\"", "\"\"") + "\"" : f);
        }
        return String.join(",", out);
    }
}
