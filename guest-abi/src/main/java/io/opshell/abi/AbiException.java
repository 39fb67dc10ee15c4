package io.opshell.abi;

/**
 * A host call failed with a code from {@link AbiError}; the host function returns that code and
 * hands the shell the message (ABI.md, "Error messages"), which the operator reads after the
 * command's name.
 */
public final class AbiException extends RuntimeException {
    private final AbiError error;

    /** The message is the error's description followed by {@code detail}: {@code permission denied: …}. */
    public AbiException(AbiError error, String detail) {
        this(error, error.description() + ": " + detail, true);
    }

    private AbiException(AbiError error, String message, boolean unused) {
        super(message, null, false, false);
        this.error = error;
    }

    /** The message is {@code message} as it stands: {@code tenant payments is full (… of … bytes)}. */
    public static AbiException withMessage(AbiError error, String message) {
        return new AbiException(error, message, true);
    }

    public AbiError error() {
        return error;
    }
}
