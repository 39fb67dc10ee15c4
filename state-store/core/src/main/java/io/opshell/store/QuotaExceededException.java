package io.opshell.store;

/** A write would take a tenant past its quota (or the store past its own bound); nothing changed. */
public final class QuotaExceededException extends RuntimeException {
    public QuotaExceededException(String message) {
        super(message);
    }

    /** {@code tenant payments is full (268435456 of 268435456 bytes)}. */
    public static QuotaExceededException full(String tenant, long used, long limit, String unit) {
        return new QuotaExceededException("tenant " + tenant + " is full (" + used + " of " + limit + " " + unit + ")");
    }
}
