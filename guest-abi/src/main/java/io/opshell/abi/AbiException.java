package io.opshell.abi;

/** A host call failed with a code from {@link AbiError}; the host function returns that code. */
public final class AbiException extends RuntimeException {
    private final AbiError error;

    public AbiException(AbiError error, String detail) {
        super(error.description() + ": " + detail, null, false, false);
        this.error = error;
    }

    public AbiError error() {
        return error;
    }
}
