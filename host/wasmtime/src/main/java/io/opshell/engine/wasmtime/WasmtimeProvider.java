package io.opshell.engine.wasmtime;

import io.opshell.host.wasm.WasmEngine;
import io.opshell.host.wasm.WasmEngineProvider;

/** Offers {@link WasmtimeEngine} as {@code --engine wasmtime}, the default engine. */
public final class WasmtimeProvider implements WasmEngineProvider {
    @Override
    public String name() {
        return "wasmtime";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public WasmEngine create() {
        return new WasmtimeEngine();
    }
}
