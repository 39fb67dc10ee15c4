package io.opshell.store;

/**
 * Makes a store from a spec string ({@code memory}, {@code sqlite:PATH}, {@code redis://HOST:PORT},
 * …); found with {@link java.util.ServiceLoader}, so a backend module on the classpath is all it
 * takes. {@link StateStores#open} asks each provider in turn.
 */
public interface StateStoreProvider {
    /** The spec forms this provider understands, for error messages and help, e.g. {@code sqlite:PATH}. */
    String forms();

    /** True when {@code spec} is for this provider. */
    boolean accepts(String spec);

    /**
     * Opens the store.
     *
     * @param durable force each change to stable storage before it is acknowledged (survives power
     *                loss), where the backend can
     * @throws IllegalArgumentException if the spec is malformed (the message says what is expected)
     * @throws StoreUnavailableException if the store cannot be opened (the message says why)
     */
    StateStore open(String spec, boolean durable);
}
