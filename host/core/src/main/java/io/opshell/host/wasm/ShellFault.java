package io.opshell.host.wasm;

/**
 * A shell instance stopped and cannot go on: it trapped, ran past its CPU deadline, grew past its
 * memory limit or exited. The instance is unusable afterwards; the session replaces it.
 */
public final class ShellFault extends Exception {
    public ShellFault(String reason) {
        super(reason, null, false, false);
    }
}
