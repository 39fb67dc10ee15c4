package io.opshell.host.wasm;

/**
 * A function the host gives an instance for one of its imports.
 *
 * @param body runs the function; engines pass i32 arguments as {@code long} (low 32 bits) and
 *             return the result as the function's single result (ignored for a function without
 *             one). The body never throws, except {@link GuestAbort}, which the engine must turn
 *             into a trap that unwinds the guest.
 */
public record HostImport(String module, String name, FunctionType type, Body body) {
    @FunctionalInterface
    public interface Body {
        long call(long[] args);
    }
}
