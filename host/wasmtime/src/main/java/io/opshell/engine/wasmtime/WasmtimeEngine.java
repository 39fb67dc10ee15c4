package io.opshell.engine.wasmtime;

import io.github.kawamuray.wasmtime.Config;
import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Module;
import io.github.kawamuray.wasmtime.WasmtimeException;
import io.opshell.host.wasm.ShellLoadException;
import io.opshell.host.wasm.WasmEngine;
import io.opshell.host.wasm.WasmModule;

/**
 * wasmtime (through wasmtime-java) behind opshell's engine seam. One wasmtime Engine with epoch
 * interruption and a ticker thread advancing the epoch ({@link EpochTicker}): every call runs
 * under a deadline counted in ticks of that clock (the binding has neither fuel nor a resource
 * limiter, so epochs are how a runaway guest is stopped, and memory is checked by the caller after
 * each call).
 *
 * <p>Hazards of the binding this module fences (measured on wasmtime-java 0.19.0 / wasmtime 7.0.1):
 * a Rust panic inside the binding aborts the whole JVM (seen: a Store made on another Engine than
 * its Module's, and an Error thrown from a host function), so a module only ever gets Stores of its
 * own Engine and host functions never throw anything but {@code GuestAbort}; Funcs, Memories,
 * Instances and Stores leak native handles unless disposed, so each instance disposes all it made;
 * an upcall's JNI references live until the outermost guest call returns, so no guest call may
 * run unbounded (the deadline sees to it). A module's imports reach the host through one host
 * function per instance ({@link ImportGate}): wasmtime compiles code for every host function, per Store.
 */
public final class WasmtimeEngine implements WasmEngine {
    private final Engine engine;
    private final EpochTicker ticker;
    private volatile boolean closed;

    public WasmtimeEngine() {
        // The engine takes ownership of the config.
        engine = new Engine(new Config().epochInterruption(true));
        ticker = new EpochTicker(engine);
    }

    @Override
    public String name() {
        return "wasmtime";
    }

    @Override
    public WasmModule compile(String shellName, byte[] wasm) throws ShellLoadException {
        if (closed) {
            throw new IllegalStateException("engine is closed");
        }
        Module module;
        try {
            module = new Module(engine, wasm);
        } catch (WasmtimeException e) {
            throw new ShellLoadException("shell " + shellName + " is not a valid module: " + e.getMessage(), e);
        }
        try {
            return WasmtimeModule.withGate(engine, ticker, module);
        } catch (RuntimeException e) {
            module.dispose();
            if (e instanceof IllegalArgumentException) {
                throw new ShellLoadException("shell " + shellName + " " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Sessions that still fit in this process's memory-mapping budget ({@link MappingBudget}),
     * each running a shell on a platform thread of its own (every shell costs the same mappings:
     * its imports pass through an {@link ImportGate}). Computed when asked: the server asks once,
     * after loading its shells.
     */
    @Override
    public int instanceCapacity() {
        return MappingBudget.sessionsThatFit(MappingBudget.perSession());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ticker.close();
        engine.dispose();
    }
}
