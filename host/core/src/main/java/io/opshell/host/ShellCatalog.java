package io.opshell.host;

import io.opshell.host.wasm.ShellLoadException;
import io.opshell.host.wasm.ShellModule;
import io.opshell.host.wasm.WasmRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Collections;

/** The shells a server offers, compiled once at start and shared by every session. */
final class ShellCatalog implements AutoCloseable {
    /** Where the build puts the bundled shells, with an {@code index} file listing their names. */
    static final String BUNDLED_PREFIX = "opshell/shells/";

    private final Map<String, ShellModule> shells = new LinkedHashMap<>();

    static Map<String, byte[]> bundledShells() {
        Map<String, byte[]> found = new LinkedHashMap<>();
        String index = new String(resource("index"), StandardCharsets.UTF_8);
        for (String name : index.split("\\s+")) {
            if (!name.isEmpty()) {
                found.put(name, resource(name + ".wasm"));
            }
        }
        return found;
    }

    private static byte[] resource(String name) {
        try (InputStream in = ShellCatalog.class.getClassLoader().getResourceAsStream(BUNDLED_PREFIX + name)) {
            if (in == null) {
                throw new IllegalStateException("bundled shell resource " + BUNDLED_PREFIX + name
                        + " is missing; build the shells module (scripts/run does)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ShellCatalog load(WasmRuntime runtime, Map<String, byte[]> modules, long maxMemoryBytes) throws ShellLoadException {
        ShellCatalog catalog = new ShellCatalog();
        try {
            for (Map.Entry<String, byte[]> e : modules.entrySet()) {
                catalog.shells.put(e.getKey(), ShellModule.load(runtime, e.getKey(), e.getValue(), maxMemoryBytes));
            }
        } catch (ShellLoadException e) {
            catalog.close();
            throw e;
        }
        return catalog;
    }

    /** The loaded shells by name, in load order. */
    Map<String, ShellModule> modules() {
        return Collections.unmodifiableMap(shells);
    }

    @Override
    public void close() {
        shells.values().forEach(ShellModule::close);
        shells.clear();
    }
}
