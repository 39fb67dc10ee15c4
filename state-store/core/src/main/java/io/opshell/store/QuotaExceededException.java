package io.opshell.store;

/** A write would take a tenant past its configured number of entries. */
public final class QuotaExceededException extends RuntimeException {
    public QuotaExceededException(String message) {
        super(message);
    }
}
