package io.opshell.host.wasm;

import java.util.List;
import java.util.ServiceLoader;

/**
 * Makes a {@link WasmEngine}; found with {@link ServiceLoader}, so putting an engine module on
 * the classpath is all it takes to offer it. {@link #choose} picks one by name.
 */
public interface WasmEngineProvider {
    /** The engine's name, e.g. {@code wasmtime}, {@code chicory}. */
    String name();

    /** Preference when no engine is named: the highest wins. */
    default int priority() {
        return 0;
    }

    WasmEngine create();

    /** Every engine on the classpath. */
    static List<WasmEngineProvider> available() {
        return ServiceLoader.load(WasmEngineProvider.class).stream().map(ServiceLoader.Provider::get).toList();
    }

    /**
     * The engine named {@code name}, or with {@code null} the preferred one on the classpath.
     *
     * @throws IllegalArgumentException naming the engines there are
     */
    static WasmEngineProvider choose(String name) {
        List<WasmEngineProvider> all = available();
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no WebAssembly engine on the classpath; add opshell-engine-wasmtime "
                    + "or opshell-engine-chicory");
        }
        if (name == null) {
            return all.stream().max(java.util.Comparator.comparingInt(WasmEngineProvider::priority)).orElseThrow();
        }
        return all.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no engine named '" + name + "'; available: " + String.join(", ", all.stream().map(WasmEngineProvider::name).toList())));
    }
}
