package io.opshell.host.metrics;

import java.util.Locale;

/** The state store calls sessions make, as the {@code operation} tag of {@code opshell.store.operations}. */
public enum StoreOperation {
    SUM, GET, KEYS, USAGE, ADD, SET, DELETE;

    /** The tag value: the lower-case name. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
