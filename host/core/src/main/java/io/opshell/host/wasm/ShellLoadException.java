package io.opshell.host.wasm;

/** A shell module was refused at load; the message says which shell and why. */
public final class ShellLoadException extends Exception {
    public ShellLoadException(String message) {
        super(message);
    }

    public ShellLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
