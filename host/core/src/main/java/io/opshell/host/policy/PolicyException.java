package io.opshell.host.policy;

/** A policy file that cannot be used; the message names the file, the place and the problem. */
public final class PolicyException extends Exception {
    public PolicyException(String message) {
        super(message);
    }
}
