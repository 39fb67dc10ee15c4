package io.opshell.engine.wasmtime;

import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.ImportType;
import io.github.kawamuray.wasmtime.Module;
import io.opshell.host.wasm.GuestTrap;
import io.opshell.host.wasm.HostImport;
import io.opshell.host.wasm.WasmInstance;
import io.opshell.host.wasm.WasmModule;
import java.util.List;

/**
 * A module compiled by wasmtime, with its {@link ImportGate} compiled beside it; its instances get
 * Stores of the same Engine, never another's.
 */
final class WasmtimeModule implements WasmModule {
    private final Engine engine;
    private final EpochTicker ticker;
    private final Module module;
    private final Module gate;
    /** The module's imports in its order, as "module.name": the gate's export i stands for import i. */
    private final List<String> importKeys;
    private volatile boolean closed;

    private WasmtimeModule(Engine engine, EpochTicker ticker, Module module, Module gate, List<String> importKeys) {
        this.engine = engine;
        this.ticker = ticker;
        this.module = module;
        this.gate = gate;
        this.importKeys = importKeys;
    }

    /**
     * Compiles the gate for {@code module}'s imports; the result owns both.
     *
     * @throws IllegalArgumentException if an import cannot pass through a gate (not a function of numbers)
     */
    static WasmtimeModule withGate(Engine engine, EpochTicker ticker, Module module) {
        ImportType[] imports = module.imports();
        ImportGate gate = ImportGate.forImports(imports);
        Module compiledGate = new Module(engine, gate.wasm());
        List<String> keys = java.util.Arrays.stream(imports).map(i -> importKey(i.module(), i.name())).toList();
        return new WasmtimeModule(engine, ticker, module, compiledGate, keys);
    }

    @Override
    public WasmInstance instantiate(List<HostImport> imports, long memoryLimitBytes) throws GuestTrap {
        if (closed) {
            // Instantiating a disposed module makes the binding panic, which aborts the JVM.
            throw new IllegalStateException("module is closed");
        }
        return WasmtimeInstance.create(engine, ticker, this, imports);
    }

    Module module() {
        return module;
    }

    Module gate() {
        return gate;
    }

    List<String> importKeys() {
        return importKeys;
    }

    /** How {@link #importKeys} names an import, and how an instance matches host functions to them. */
    static String importKey(String module, String name) {
        return module + "." + name;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            gate.dispose();
            module.dispose();
        }
    }
}
