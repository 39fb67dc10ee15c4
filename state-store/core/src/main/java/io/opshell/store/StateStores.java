package io.opshell.store;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Opens a store from a spec string with whichever {@link StateStoreProvider} accepts it. */
public final class StateStores {
    private StateStores() {}

    /**
     * @throws IllegalArgumentException naming the forms the providers on the classpath accept
     */
    public static StateStore open(String spec, boolean durable) {
        if (spec.equals("memory")) {
            return new InMemoryStateStore();
        }
        List<String> forms = new ArrayList<>(List.of("memory"));
        for (StateStoreProvider p : ServiceLoader.load(StateStoreProvider.class)) {
            if (p.accepts(spec)) {
                return p.open(spec, durable);
            }
            forms.add(p.forms());
        }
        throw new IllegalArgumentException("no state store for '" + spec + "'; use one of: " + String.join(", ", forms));
    }
}
