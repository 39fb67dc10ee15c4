package io.opshell.store;

import java.util.Optional;

/** A change a store is about to make, as its {@link WriteAhead} sees it. */
public sealed interface Change {
    String tenant();

    /** An entry set or deleted: {@code before} empty when it was new, {@code after} empty when it is deleted. */
    record Entry(String tenant, String key, Optional<String> before, Optional<String> after) implements Change {}

    /** The counter moved from {@code before} to {@code after}. */
    record Counter(String tenant, long before, long after) implements Change {}
}
