package io.opshell.host.app;

/**
 * The application refused or failed: a value its check turned down, a setter or handler that
 * threw. The message is the application's own and reaches the operator as it is.
 */
public final class ApplicationException extends RuntimeException {
    public ApplicationException(String message, Throwable cause) {
        super(message, cause);
    }
}
