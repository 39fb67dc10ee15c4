package io.opshell.host.bench;

import io.opshell.host.OpshellServer;
import io.opshell.host.app.Action;
import io.opshell.host.policy.Role;
import io.opshell.host.SessionLimits;
import io.opshell.host.StateAccess;
import io.opshell.host.wasm.GuestStdio;
import io.opshell.host.wasm.ShellInstance;
import io.opshell.host.wasm.ShellModule;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.host.bench.Protocol.Op;
import io.opshell.host.support.Wat;
import io.opshell.store.InMemoryStateStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Host/guest crossings, measured in the harness's own JVM against an embedded {@link OpshellServer}
 * (the real host code; only the guests differ):
 * <ul>
 *   <li>how many per command: the bundled kv shell, instrumented by {@link WasmInstrumenter} so
 *       that the host counts every import call and every {@code opshell_step} entry;</li>
 *   <li>what one costs: WAT guests whose step runs a loop of N calls to one import, against the
 *       same loop calling nothing; (median step round trip difference) / N.</li>
 * </ul>
 */
final class Crossings {
    private Crossings() {}

    /** Per command, how often each counted crossing happened (keys as {@link WasmInstrumenter.Instrumented#counted}). */
    record Counts(Map<Op, Map<String, Double>> perCommand, int commands) {}

    /** Cost per crossing in µs by import, and the loop-with-nothing step round trip (µs, median). */
    record Costs(Map<String, Double> microsPerCall, double emptyStepMicros, int loopCalls, int samples) {}

    static Counts count(Path dir, int commands, String engine) throws Exception {
        byte[] kv = bundledShell("kv");
        WasmInstrumenter.Instrumented ins = WasmInstrumenter.instrument(kv);
        LongAdder[] counters = new LongAdder[ins.counted().size()];
        OpshellServer.Builder b = OpshellServer.builder().engine(engine).socket(dir.resolve("count.sock")).shell("kv", ins.wasm())
                .defaultShell("kv").store(new InMemoryStateStore())
                .stateCallsPerSecond(Double.POSITIVE_INFINITY); // counting actions are state calls too; the limit is not measured here
        for (int i = 0; i < counters.length; i++) {
            LongAdder c = counters[i] = new LongAdder();
            b.action(Action.of(WasmInstrumenter.Instrumented.probeName(i), Role.READ_ONLY, (who, arg) -> {
                c.increment();
                return "";
            }));
        }
        Protocol p = new Protocol.KvText("kv> ", Protocol.KvText.OPSHELL_HELLO);
        Map<Op, Map<String, Double>> result = new LinkedHashMap<>();
        try (OpshellServer server = b.start(); Conn c = Conn.open(server.socketPath())) {
            p.awaitReady(c);
            for (Op op : List.of(Op.SET, Op.GET)) { // SET first: GET reads the keys it stored
                for (LongAdder a : counters) {
                    a.reset();
                }
                for (int i = 0; i < commands; i++) {
                    String key = "cross:k" + (i % Harness.KEYS_PER_CLIENT);
                    String value = "v" + (i % Harness.KEYS_PER_CLIENT) + "-0123456789abcdef";
                    c.write(p.encode(op, key, value));
                    String reply = p.readReply(c);
                    if (!reply.equals(p.expectedReply(op, key, value))) {
                        throw new IOException("instrumented kv shell answered " + op.lower() + " " + key + " with " + reply);
                    }
                }
                Map<String, Double> per = new LinkedHashMap<>();
                for (int i = 0; i < counters.length; i++) {
                    long n = counters[i].sum();
                    if (n > 0) {
                        per.put(ins.counted().get(i), n / (double) commands);
                    }
                }
                result.put(op, per);
            }
        }
        return new Counts(result, commands);
    }

    /** The loop guests: what the loop body calls, by the name reported. */
    private static final Map<String, String> LOOP_BODIES = new LinkedHashMap<>();

    static {
        LOOP_BODIES.put("nothing", "");
        LOOP_BODIES.put("host.sum", "(drop (call $sum (i32.const 48)))");
        LOOP_BODIES.put("host.kv_get", "(drop (call $kv_get (i32.const 8) (i32.const 1) (i32.const 256) (i32.const 256)))");
        LOOP_BODIES.put("wasi fd_write (0 iovecs)", "(drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 0) (i32.const 40)))");
        LOOP_BODIES.put("wasi fd_read (EAGAIN)", "(drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))");
    }

    private static String loopGuest(int calls, String body) {
        return """
                (module
                  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
                  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
                  (import "host" "sum" (func $sum (param i32) (result i32)))
                  (import "host" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
                  (memory (export "memory") 1 1)
                  (data (i32.const 0) "x> ")
                  (data (i32.const 8) "k")
                  (func (export "opshell_abi_version") (result i32) (i32.const 2))
                  (func $prompt
                    (i32.store (i32.const 32) (i32.const 0))
                    (i32.store (i32.const 36) (i32.const 3))
                    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40))))
                  (func (export "opshell_init") (call $prompt))
                  (func (export "opshell_step") (param $ready i32) (param $eof i32) (result i32)
                    (local $i i32)
                    (i32.store (i32.const 16) (i32.const 4096))
                    (i32.store (i32.const 20) (i32.const 4096))
                    (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
                    (if (local.get $eof) (then (return (i32.const 1))))
                    (local.set $i (i32.const %d))
                    (block $done
                      (loop $next
                        (br_if $done (i32.eqz (local.get $i)))
                        %s
                        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                        (br $next)))
                    (call $prompt)
                    (i32.const 0))
                )
                """.formatted(calls, body);
    }

    static Costs costs(Path dir, int calls, int warmup, int samples, String engine) throws Exception {
        InMemoryStateStore store = new InMemoryStateStore();
        store.set("default", "k", "value");
        OpshellServer.Builder b = OpshellServer.builder().engine(engine).socket(dir.resolve("loops.sock")).store(store)
                .limits(SessionLimits.DEFAULT.withStepDeadline(Duration.ofSeconds(20))
                        .withStateCallsPerSecond(Double.POSITIVE_INFINITY)); // a loop step makes thousands of calls
        List<String> names = new ArrayList<>(LOOP_BODIES.keySet());
        for (int i = 0; i < names.size(); i++) {
            b.shell("loop" + i, Wat.compile(loopGuest(calls, LOOP_BODIES.get(names.get(i)))));
        }
        b.defaultShell("loop0");
        byte[] prompt = "x> ".getBytes(StandardCharsets.UTF_8);
        byte[] input = "x\n".getBytes(StandardCharsets.UTF_8);
        List<Conn> conns = new ArrayList<>();
        List<Histogram> nanos = names.stream().map(n -> Stats.nanos()).toList();
        try (OpshellServer server = b.start()) {
            for (int i = 0; i < names.size(); i++) {
                Conn c = Conn.open(server.socketPath());
                conns.add(c);
                c.readUntil(prompt);
                if (i > 0) {
                    c.write(("\\shell loop" + i + "\n").getBytes(StandardCharsets.UTF_8));
                    String switched = c.readUntil(prompt);
                    if (!switched.contains("shell loop" + i)) {
                        throw new IOException("switching to loop" + i + " answered " + switched);
                    }
                }
            }
            // Interleaved: each sample round takes one step of every guest, so drift hits all alike.
            for (int s = 0; s < warmup + samples; s++) {
                for (int i = 0; i < names.size(); i++) {
                    Conn c = conns.get(i);
                    long t0 = System.nanoTime();
                    c.write(input);
                    String reply = c.readUntil(prompt);
                    long t1 = System.nanoTime();
                    if (!reply.isEmpty() || c.unread() != 0) {
                        throw new IOException("loop guest '" + names.get(i) + "' answered " + Conn.printable(reply.getBytes(StandardCharsets.UTF_8)));
                    }
                    if (s >= warmup) {
                        nanos.get(i).recordValue(t1 - t0);
                    }
                }
            }
        } finally {
            for (Conn c : conns) {
                c.close();
            }
        }
        double base = Stats.micros(nanos.get(0), 50);
        Map<String, Double> perCall = new LinkedHashMap<>();
        for (int i = 1; i < names.size(); i++) {
            perCall.put(names.get(i), (Stats.micros(nanos.get(i), 50) - base) / calls);
        }
        return new Costs(perCall, base, calls, samples);
    }

    /** Measured without a socket, straight on {@link ShellInstance} (the class a session drives). */
    record Direct(double stepCallMicros, Map<Op, Double> kvCommandMicros, int calls, int samples) {}

    private static final String EMPTY_STEP_GUEST = """
            (module
              (memory (export "memory") 1 1)
              (func (export "opshell_abi_version") (result i32) (i32.const 2))
              (func (export "opshell_init"))
              (func (export "opshell_step") (param i32 i32) (result i32) (i32.const 0)))
            """;

    /**
     * What one step costs with no socket and no thread hand-off: a host->guest call of an empty
     * step, and a kv command (input in, the kv shell's step, output out) on the bundled kv shell.
     */
    /** How long the kv commands run on a bare instance before they are measured. */
    private static final Duration DIRECT_WARMUP = Duration.ofSeconds(3);

    static Direct direct(int calls, int warmup, int samples, String engine) throws Exception {
        long maxMemory = SessionLimits.DEFAULT.maxMemoryBytes();
        Duration deadline = Duration.ofSeconds(20);
        Map<Op, Double> kv = new LinkedHashMap<>();
        double stepMicros;
        try (WasmRuntime rt = new WasmRuntime(io.opshell.host.wasm.WasmEngineProvider.choose(engine).create());
                ShellModule empty = ShellModule.load(rt, "empty", Wat.compile(EMPTY_STEP_GUEST), maxMemory);
                ShellModule kvModule = ShellModule.load(rt, "kv", bundledShell("kv"), maxMemory)) {
            GuestStdio stdio = new GuestStdio(1 << 20, 1 << 20);
            try (ShellInstance shell = ShellInstance.start(empty, stdio, StateAccess.DENY_ALL, deadline, maxMemory)) {
                shell.init();
                Histogram perCall = Stats.nanos();
                for (int s = 0; s < warmup + samples; s++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < calls; i++) {
                        if (shell.step(System.nanoTime()) != 0) {
                            throw new IOException("empty step returned non-zero");
                        }
                    }
                    long t1 = System.nanoTime();
                    if (s >= warmup) {
                        perCall.recordValue((t1 - t0) / calls);
                    }
                }
                stepMicros = Stats.micros(perCall, 50);
            }
            InMemoryStateStore store = new InMemoryStateStore();
            GuestStdio kvStdio = new GuestStdio(1 << 20, 1 << 20);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            try (ShellInstance shell = ShellInstance.start(kvModule, kvStdio, new StoreAccess(store), deadline, maxMemory)) {
                shell.init();
                kvStdio.flushOutput(sink);
                int commands = Math.max(1, calls / 10);
                for (Op op : List.of(Op.SET, Op.GET)) {
                    byte[][] in = new byte[Harness.KEYS_PER_CLIENT][];
                    byte[][] out = new byte[Harness.KEYS_PER_CLIENT][];
                    for (int j = 0; j < in.length; j++) {
                        String key = "direct:k" + j, value = "v" + j + "-0123456789abcdef";
                        in[j] = (op == Op.SET ? "set " + key + " " + value + "\n" : "get " + key + "\n").getBytes(StandardCharsets.UTF_8);
                        out[j] = ((op == Op.SET ? "ok" : value) + "\nkv> ").getBytes(StandardCharsets.UTF_8);
                    }
                    // The JIT compiles a Chicory guest's big methods in the background, well after the
                    // first thousands of commands: measured too early, a get cost 21 µs instead of ~3.
                    Harness.WarmUp warm = Harness.WarmUp.of(0, DIRECT_WARMUP.toMillis());
                    for (int i = 0; warm.goesOn(i); i++) {
                        int j = i % in.length;
                        kvStdio.receive(in[j], 0, in[j].length);
                        shell.step(System.nanoTime());
                        sink.reset();
                        kvStdio.flushOutput(sink);
                    }
                    Histogram perCommand = Stats.nanos();
                    for (int s = 0; s < warmup + samples; s++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < commands; i++) {
                            int j = i % in.length;
                            kvStdio.receive(in[j], 0, in[j].length);
                            shell.step(System.nanoTime());
                            sink.reset();
                            kvStdio.flushOutput(sink);
                            if (!java.util.Arrays.equals(sink.toByteArray(), out[j])) {
                                throw new IOException("kv shell answered " + Conn.printable(sink.toByteArray()) + " to "
                                        + Conn.printable(in[j]));
                            }
                        }
                        long t1 = System.nanoTime();
                        if (s >= warmup) {
                            perCommand.recordValue((t1 - t0) / commands);
                        }
                    }
                    kv.put(op, Stats.micros(perCommand, 50));
                }
            }
        }
        return new Direct(stepMicros, kv, calls, samples);
    }

    /** A session's door to the store, reduced to what the benchmark's kv commands use. */
    private record StoreAccess(InMemoryStateStore store) implements StateAccess {
        @Override public long add(long delta) { return store.add("default", delta); }
        @Override public long sum() { return store.sum("default"); }
        @Override public Optional<String> get(String key) { return store.get("default", key); }
        @Override public void set(String key, String value) { store.set("default", key, value); }
        @Override public boolean delete(String key) { return store.delete("default", key); }
        @Override public List<String> keys(String prefix) { return store.keys("default", prefix, 10_000); }
        @Override public String whoami() { return "user=bench"; }
        @Override public String call(String name, String argument) { throw new UnsupportedOperationException(name); }
    }

    static byte[] bundledShell(String name) throws IOException {
        String resource = "opshell/shells/" + name + ".wasm";
        try (InputStream in = Crossings.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("bundled shell " + resource + " not on the class path");
            }
            return in.readAllBytes();
        }
    }
}
