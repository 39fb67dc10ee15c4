package io.opshell.host.support;

import io.opshell.host.wasm.WasmEngineProvider;
import io.opshell.host.wasm.WasmRuntime;

/**
 * The engine this test run uses: {@code -Dopshell.engine=NAME} (the build runs the suite once per
 * engine), else the preferred engine on the classpath.
 */
public final class Engines {
    private Engines() {}

    /** The engine's name, or null for the default. */
    public static String name() {
        return System.getProperty("opshell.engine");
    }

    /** A runtime on that engine; the caller closes it. */
    public static WasmRuntime runtime() {
        return new WasmRuntime(WasmEngineProvider.choose(name()).create());
    }
}
