package io.opshell.engine.wasmtime;

import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Module;
import io.opshell.host.wasm.GuestTrap;
import io.opshell.host.wasm.HostImport;
import io.opshell.host.wasm.WasmInstance;
import io.opshell.host.wasm.WasmModule;
import java.util.List;

/** A module compiled by wasmtime; its instances get Stores of the same Engine, never another's. */
final class WasmtimeModule implements WasmModule {
    private final Engine engine;
    private final Module module;
    private volatile boolean closed;

    WasmtimeModule(Engine engine, Module module) {
        this.engine = engine;
        this.module = module;
    }

    @Override
    public WasmInstance instantiate(List<HostImport> imports, long memoryLimitBytes) throws GuestTrap {
        if (closed) {
            // Instantiating a disposed module makes the binding panic, which aborts the JVM.
            throw new IllegalStateException("module is closed");
        }
        return WasmtimeInstance.create(engine, module, imports);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            module.dispose();
        }
    }
}
