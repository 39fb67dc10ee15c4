package io.opshell.host.policy;

/**
 * A policy file that cannot be used. The message names the file, the place (line and column where
 * there is one) and the problem: {@code policy /etc/opshell/policy.yaml line 4, column 11: profile
 * 'oncall': role 'root' is not one of read-only, read-write, admin}.
 */
public final class PolicyException extends Exception {
    public PolicyException(String message) {
        super(message);
    }
}
