package io.opshell.host.wasm;

/** A guest call ended abnormally, as an engine reports it across the seam. */
public final class GuestTrap extends Exception {
    /** What stopped the guest. */
    public enum Kind {
        /** It ran past the call's CPU deadline. */
        DEADLINE,
        STACK_OVERFLOW,
        MEMORY_OUT_OF_BOUNDS,
        /** {@code unreachable}: a Rust panic or abort. */
        UNREACHABLE,
        DIVIDE_BY_ZERO,
        /** It tried to grow its memory past the instance's limit. */
        MEMORY_LIMIT,
        /** A host import threw {@link GuestAbort}. */
        HOST_ABORT,
        /** Anything else the engine reports; the message says what. */
        OTHER
    }

    private final Kind kind;

    public GuestTrap(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
