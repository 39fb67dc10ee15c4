package io.opshell.host.wasm;

import io.opshell.abi.Abi;
import io.opshell.host.StateAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A compiled shell, shared by all sessions running it. Loading checks everything that can be
 * checked before an operator connects, the same way on every engine: the binary, the exports of
 * ABI version {@value Abi#VERSION} and their signatures, a declared maximum memory within the cap,
 * imports the host serves, and the version the shell reports when run.
 */
public final class ShellModule implements AutoCloseable {
    private static final Duration LOAD_DEADLINE = Duration.ofSeconds(1);
    /** The exports a shell must have, with their types (ABI.md, "Exports"). */
    static final Map<String, FunctionType> REQUIRED = ordered(
            Abi.EXPORT_VERSION, FunctionType.of(List.of(), ValType.I32),
            Abi.EXPORT_INIT, FunctionType.of(List.of()),
            Abi.EXPORT_STEP, FunctionType.of(FunctionType.i32s(2), ValType.I32));
    /** The exports a shell may have, with their types. */
    static final Map<String, FunctionType> OPTIONAL = Map.of(
            Abi.EXPORT_BUFFERS, FunctionType.of(List.of(), ValType.I32),
            Abi.EXPORT_WASI_INITIALIZE, FunctionType.of(List.of()));
    private static final int KIND_MEMORY = 2;

    /** A map that keeps the order given, so the first missing export named is always the same. */
    private static Map<String, FunctionType> ordered(Object... pairs) {
        Map<String, FunctionType> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (FunctionType) pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private final String name;
    private final WasmRuntime runtime;
    private final WasmModule compiled;
    private final List<ImportTable.Definition> imports;
    private final long declaredMaxMemoryBytes;

    /** Instances made ahead of demand; null without pooling. */
    private volatile InstancePool pool;
    private volatile boolean closed;

    private ShellModule(String name, WasmRuntime runtime, WasmModule compiled, List<ImportTable.Definition> imports,
            long declaredMaxMemoryBytes) {
        this.name = name;
        this.runtime = runtime;
        this.compiled = compiled;
        this.imports = imports;
        this.declaredMaxMemoryBytes = declaredMaxMemoryBytes;
    }

    /**
     * @param maxMemoryBytes the largest memory maximum a shell may declare
     */
    public static ShellModule load(WasmRuntime runtime, String name, byte[] wasm, long maxMemoryBytes)
            throws ShellLoadException {
        WasmBinary.Info info;
        try {
            info = WasmBinary.inspect(wasm);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ShellLoadException("shell " + name + ": " + e.getMessage());
        }
        checkExports(name, info);
        if (info.hasStart()) {
            // Code run at instantiation would run outside any step; setup belongs in opshell_init.
            throw new ShellLoadException("shell " + name + " has a start function; do its setup in " + Abi.EXPORT_INIT);
        }
        if (info.memoryCount() != 1 || info.importsMemory()) {
            throw new ShellLoadException("shell " + name + " must define exactly one memory (it has "
                    + info.memoryCount() + (info.importsMemory() ? ", imported" : "") + ")");
        }
        if (info.memoryMaxPages().isEmpty()) {
            throw new ShellLoadException("shell " + name + " declares no maximum memory; link it with "
                    + "--max-memory=BYTES (see guest-abi/ABI.md)");
        }
        long declared = info.memoryMaxPages().getAsLong() * WasmBinary.PAGE_BYTES;
        if (declared > maxMemoryBytes) {
            throw new ShellLoadException("shell " + name + " declares a maximum memory of " + mib(declared)
                    + ", above the limit of " + mib(maxMemoryBytes));
        }
        List<ImportTable.Definition> imports = new ArrayList<>();
        try {
            for (WasmBinary.Import imp : info.imports()) {
                imports.add(ImportTable.resolve(imp));
            }
        } catch (IllegalArgumentException e) {
            throw new ShellLoadException("shell " + name + " " + e.getMessage());
        }
        WasmModule compiled = runtime.engine().compile(name, wasm);
        ShellModule shell = new ShellModule(name, runtime, compiled, List.copyOf(imports), declared);
        shell.checkReportedVersion();
        if (runtime.poolSize() > 0) {
            // Pooled instances get the most memory any session may have; a session with less is checked after each call.
            shell.pool = new InstancePool(shell, runtime.poolSize(), declared);
        }
        return shell;
    }

    private static void checkExports(String name, WasmBinary.Info info) throws ShellLoadException {
        for (Map.Entry<String, FunctionType> e : REQUIRED.entrySet()) {
            if (!info.functions().containsKey(e.getKey())) {
                throw new ShellLoadException("shell " + name + " does not export '" + e.getKey()
                        + "'; is it built against the opshell guest library (ABI version " + Abi.VERSION + ")?");
            }
        }
        for (Map<String, FunctionType> group : List.of(REQUIRED, OPTIONAL)) {
            for (Map.Entry<String, FunctionType> e : group.entrySet()) {
                FunctionType actual = info.functions().get(e.getKey());
                if (actual != null && !actual.equals(e.getValue())) {
                    throw new ShellLoadException("shell " + name + " exports '" + e.getKey() + "' with type " + actual
                            + ", expected " + e.getValue() + " (guest-abi/ABI.md, \"Exports\")");
                }
            }
        }
        Integer memoryKind = info.exports().get(Abi.EXPORT_MEMORY);
        if (memoryKind == null || memoryKind != KIND_MEMORY) {
            throw new ShellLoadException("shell " + name + " does not export its memory as '" + Abi.EXPORT_MEMORY
                    + "'; is it built against the opshell guest library (ABI version " + Abi.VERSION + ")?");
        }
    }

    private void checkReportedVersion() throws ShellLoadException {
        GuestStdio noIo = new GuestStdio(0, 0);
        int version;
        try (ShellInstance probe = ShellInstance.create(this, noIo, StateAccess.DENY_ALL, LOAD_DEADLINE, declaredMaxMemoryBytes)) {
            version = probe.abiVersion();
        } catch (ShellFault e) {
            close();
            throw new ShellLoadException("shell " + name + " failed its start check: " + e.getMessage());
        }
        if (version != Abi.VERSION) {
            close();
            throw new ShellLoadException("shell " + name + " speaks ABI version " + version + ", this host speaks "
                    + Abi.VERSION + "; rebuild it against the current guest library");
        }
    }

    private static String mib(long bytes) {
        return (bytes / (1024 * 1024)) + " MiB";
    }

    public String name() {
        return name;
    }

    /**
     * A ready instance for one session: one from the pool if one is waiting (its constructors and
     * buffer setup have run; the session's limits are applied now), else a new one. The caller
     * runs {@link ShellInstance#init()} next and closes the instance when the session is done with it.
     *
     * @param stepDeadline     CPU time each guest call may take
     * @param memoryLimitBytes the guest memory size the shell may not exceed
     * @throws ShellFault if the shell cannot be started
     */
    public ShellInstance newInstance(GuestStdio stdio, StateAccess access, Duration stepDeadline, long memoryLimitBytes)
            throws ShellFault {
        compiled(); // refuses a closed shell
        InstancePool p = pool;
        if (p != null) {
            ShellInstance ready = p.take();
            if (ready != null && ready.bind(stdio, access, stepDeadline, memoryLimitBytes)) {
                return ready;
            }
        }
        return ShellInstance.create(this, stdio, access, stepDeadline, memoryLimitBytes);
    }

    /** The memory maximum the shell declares: what the engine is given for each instance. */
    long declaredMaxMemoryBytes() {
        return declaredMaxMemoryBytes;
    }

    WasmRuntime runtime() {
        return runtime;
    }

    /** The compiled module, for a new instance; a closed shell is refused here. */
    WasmModule compiled() {
        if (closed) {
            throw new IllegalStateException("shell " + name + " is closed");
        }
        return compiled;
    }

    List<ImportTable.Definition> imports() {
        return imports;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            InstancePool p = pool;
            if (p != null) {
                p.close();
            }
            compiled.close();
        }
    }
}
