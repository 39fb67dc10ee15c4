package io.opshell.host.wasm;

/**
 * The engine seam: one WebAssembly engine behind the interfaces opshell needs — compile a module
 * ({@link WasmModule}), instantiate it with host imports and a memory limit ({@link WasmInstance}),
 * call its exports under a CPU deadline ({@link WasmFunction}). Nothing outside an engine's module
 * sees the engine's own types; its failures cross the seam as {@link ShellLoadException} (at
 * compile) and {@link GuestTrap} (at run). An engine knows nothing of WASI or of opshell's ABI:
 * those live in this package, above the seam.
 *
 * <p>To add an engine: implement these four interfaces in a module of its own, expose a
 * {@link WasmEngineProvider} through {@code META-INF/services}, and run the test suite with
 * {@code -Dopshell.engine=NAME}. One engine instance serves a whole server; it is thread-safe.
 */
public interface WasmEngine extends AutoCloseable {
    /** The name operators choose it by ({@code --engine}). */
    String name();

    /** Compiles {@code wasm}; a module the engine cannot compile is refused with its reason. */
    WasmModule compile(String shellName, byte[] wasm) throws ShellLoadException;

    /**
     * Stack size for threads that run guest code, in bytes, or 0 for the JVM's default. An engine
     * whose guest frames live on the Java stack needs a deep one for the shells' recursion.
     */
    default long guestThreadStackBytes() {
        return 0;
    }

    /**
     * Whether guest code may run on virtual threads: true only for an engine whose guest frames are
     * plain Java frames (no native frames pin the carrier, no native stack or signal handler is
     * tied to the OS thread). The session layer runs sessions on virtual threads when it is true,
     * on platform threads of {@link #guestThreadStackBytes()} otherwise. A virtual thread's stack
     * can grow to the JVM's {@code -Xss}, so an engine that answers true and needs a deep stack
     * says so in {@link #guestThreadStackBytes()} and its documentation names the {@code -Xss}.
     */
    default boolean guestCodeMayRunOnVirtualThreads() {
        return false;
    }

    /**
     * How many more instances this process can hold, each run by a session thread of its own,
     * before the engine would fail (native resources such as memory mappings), or
     * {@link Integer#MAX_VALUE} when it is bounded only by the heap. Asked after the shells are
     * compiled; the server refuses sessions beyond it instead of crashing.
     */
    default int instanceCapacity() {
        return Integer.MAX_VALUE;
    }

    /** Releases the engine; every module and instance made from it must be closed first. */
    @Override
    void close();
}
