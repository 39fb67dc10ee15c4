package io.opshell.host.wasm;

import io.opshell.abi.LinearMemory;
import java.util.Optional;

/**
 * One instance of a module: its memory, its exports. Used by one thread at a time (the session
 * running it); it may move between threads between calls.
 */
public interface WasmInstance extends AutoCloseable {
    /**
     * The exported function {@code name}, if the module has one. {@code type} is its type, as
     * checked when the module was loaded (engines that cannot ask the function use it).
     */
    Optional<WasmFunction> function(String name, FunctionType type);

    /** The exported memory {@code name}. */
    Optional<LinearMemory> memory(String name);

    /** True when the engine refuses {@code memory.grow} past the instance's limit itself. */
    boolean enforcesMemoryLimit();

    @Override
    void close();
}
