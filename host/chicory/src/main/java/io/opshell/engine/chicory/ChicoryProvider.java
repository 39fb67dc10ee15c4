package io.opshell.engine.chicory;

import io.opshell.host.wasm.WasmEngine;
import io.opshell.host.wasm.WasmEngineProvider;

/** Offers {@link ChicoryEngine} as {@code --engine chicory}. */
public final class ChicoryProvider implements WasmEngineProvider {
    @Override
    public String name() {
        return "chicory";
    }

    @Override
    public WasmEngine create() {
        return new ChicoryEngine();
    }
}
