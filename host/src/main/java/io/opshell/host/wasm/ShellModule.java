package io.opshell.host.wasm;

import io.github.kawamuray.wasmtime.ImportType;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.WasmtimeException;
import io.opshell.abi.Abi;
import io.opshell.host.StateAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled shell, shared by all sessions running it. Loading checks everything that can be
 * checked before an operator connects: the binary, the exports of ABI version {@value Abi#VERSION},
 * a declared maximum memory within the cap, imports the host serves, and the version the shell
 * reports when run.
 */
public final class ShellModule implements AutoCloseable {
    private static final Duration LOAD_DEADLINE = Duration.ofSeconds(1);

    private final String name;
    private final WasmRuntime runtime;
    private final Module module;
    private final List<ImportTable.Definition> imports;
    private final long declaredMaxMemoryBytes;

    private volatile boolean closed;

    private ShellModule(String name, WasmRuntime runtime, Module module, List<ImportTable.Definition> imports,
            long declaredMaxMemoryBytes) {
        this.name = name;
        this.runtime = runtime;
        this.module = module;
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
        for (String export : List.of(Abi.EXPORT_VERSION, Abi.EXPORT_INIT, Abi.EXPORT_STEP, Abi.EXPORT_MEMORY)) {
            if (!info.exports().contains(export)) {
                throw new ShellLoadException("shell " + name + " does not export '" + export
                        + "'; is it built against the opshell guest library (ABI version " + Abi.VERSION + ")?");
            }
        }
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

        Module module;
        try {
            module = new Module(runtime.engine(), wasm);
        } catch (WasmtimeException e) {
            throw new ShellLoadException("shell " + name + " is not a valid module: " + e.getMessage(), e);
        }
        ShellModule shell;
        try {
            List<ImportTable.Definition> imports = new ArrayList<>();
            for (ImportType imp : module.imports()) {
                imports.add(ImportTable.resolve(imp));
            }
            shell = new ShellModule(name, runtime, module, List.copyOf(imports), declared);
        } catch (IllegalArgumentException e) {
            module.dispose();
            throw new ShellLoadException("shell " + name + " " + e.getMessage());
        }
        shell.checkReportedVersion(runtime);
        return shell;
    }

    private void checkReportedVersion(WasmRuntime runtime) throws ShellLoadException {
        GuestStdio noIo = new GuestStdio(0, 0);
        int version;
        try (ShellInstance probe = ShellInstance.start(runtime, this, noIo, StateAccess.DENY_ALL, LOAD_DEADLINE, declaredMaxMemoryBytes)) {
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
     * The compiled module, for an instance on {@code target}. Using a module with a Store of another
     * Engine makes the binding panic, which aborts the JVM (DESIGN.md fact 3), so it is refused here.
     */
    Module moduleFor(WasmRuntime target) {
        if (target != runtime) {
            throw new IllegalArgumentException("shell " + name + " was compiled by another runtime");
        }
        if (closed) {
            throw new IllegalStateException("shell " + name + " is closed");
        }
        return module;
    }

    List<ImportTable.Definition> imports() {
        return imports;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            module.dispose();
        }
    }
}
