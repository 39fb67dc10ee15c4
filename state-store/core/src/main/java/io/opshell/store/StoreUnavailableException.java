package io.opshell.store;

/**
 * The backend cannot be reached or written (a Redis down, a disk full, a file that cannot be
 * opened); the message says which and why, for the operator. Nothing was changed, unless the
 * failure hit a shared store while the change was on its way (a Redis that stopped answering after
 * the request was sent): then the message says that the outcome is unknown.
 */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message) {
        super(message);
    }

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
