package io.opshell.store;

/** The backend cannot be reached or written (a Redis down, a disk full); nothing was changed. */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
