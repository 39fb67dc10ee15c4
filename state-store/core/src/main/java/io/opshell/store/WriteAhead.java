package io.opshell.store;

/**
 * Where a store records a change before it makes it (the audit log). {@link #record} returning
 * normally is the permission to go ahead; throwing vetoes the change.
 */
@FunctionalInterface
public interface WriteAhead {
    /** Records {@code change}, which is about to be made. */
    void record(Change change);

    /**
     * The recorded {@code change} was not made after all, e.g. another process changed the value
     * between the record and the change (a store shared by several processes retries with a fresh
     * record). Default: nothing.
     */
    default void abandoned(Change change, String reason) {}

    /**
     * Whether the recorded {@code change} was made is not known: a shared store lost its
     * connection after sending it (the store then throws {@link StoreUnavailableException}).
     * Default: nothing.
     */
    default void outcomeUnknown(Change change, String reason) {}

    /** Records nothing. */
    WriteAhead NONE = change -> {};
}
