package io.opshell.host.wasm;

import java.util.List;

/** A compiled module, shared by every session running it; thread-safe. */
public interface WasmModule extends AutoCloseable {
    /**
     * A new instance. {@code imports} serve the module's imports (matched by module and name);
     * no guest code runs here (modules with a start function are refused before they get here).
     *
     * @param memoryLimitBytes the most linear memory the instance may have; an engine that can
     *                         refuse {@code memory.grow} beyond it does so, the others leave the
     *                         check to the caller after each call
     * @throws GuestTrap if the engine cannot instantiate it
     */
    WasmInstance instantiate(List<HostImport> imports, long memoryLimitBytes) throws GuestTrap;

    @Override
    void close();
}
