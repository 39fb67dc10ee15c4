package io.opshell.host.wasm;

/**
 * Thrown by a {@link HostImport} body to unwind the guest: after {@code proc_exit}, or when host
 * code failed in a way the guest must not continue from. Engines turn it into a trap; the caller
 * above the seam knows why it was thrown. Pre-allocated and stackless, so it can be thrown even
 * when the heap is exhausted.
 */
public final class GuestAbort extends RuntimeException {
    public static final GuestAbort INSTANCE = new GuestAbort();

    private GuestAbort() {
        super("guest aborted by the host", null, false, false);
    }
}
