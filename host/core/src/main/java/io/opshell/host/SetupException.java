package io.opshell.host;

import java.io.IOException;

/**
 * A server cannot start because of one of its settings. The message names the setting, its value,
 * what is wrong and what to do: {@code socket /srv/x/opshell.sock: directory /srv/x does not
 * exist; create it or choose another path}. {@link #setting()} is the CLI option's name without
 * its dashes, so the command line can say {@code error: --socket ...}.
 */
public class SetupException extends IOException {
    private final String setting;
    private final String value;
    private final String problem;

    public SetupException(String setting, String value, String problem) {
        super(setting + " " + value + ": " + problem);
        this.setting = setting;
        this.value = value;
        this.problem = problem;
    }

    /** {@code socket}, {@code socket-group}, {@code audit}, ... */
    public String setting() {
        return setting;
    }

    public String value() {
        return value;
    }

    /** What is wrong and what to do about it. */
    public String problem() {
        return problem;
    }
}
