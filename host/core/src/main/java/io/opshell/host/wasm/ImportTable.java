package io.opshell.host.wasm;

import io.opshell.abi.Abi;
import java.util.HashMap;
import java.util.Map;

/**
 * Every function a shell may import: the host ABI and the WASI stdio subset. A module's imports
 * are resolved against this table once, at load; an import that is not here (or has another
 * type) refuses the module with a message naming it. WASI functions outside the served subset
 * are linked to a stub answering {@code ENOSYS}, so a shell built with a larger libc still loads
 * but gets nothing more.
 */
final class ImportTable {
    record Definition(String module, String name, FunctionType type, GuestCall.Handler handler) {}

    private static final Map<String, Definition> DEFINITIONS = new HashMap<>();

    static {
        HostFunctions.definitions().forEach(ImportTable::put);
        WasiStdioFunctions.definitions().forEach(ImportTable::put);
    }

    private static void put(Definition d) {
        DEFINITIONS.put(d.module() + "." + d.name(), d);
    }

    private ImportTable() {}

    /** The definition serving {@code imp}, or an exception saying why the module cannot have it. */
    static Definition resolve(WasmBinary.Import imp) {
        String where = imp.module() + "." + imp.name();
        if (!imp.isFunction()) {
            throw new IllegalArgumentException("imports " + where + " (a " + imp.kindName() + "); shells may import functions only");
        }
        FunctionType wanted = imp.type();
        Definition d = DEFINITIONS.get(where);
        if (d == null && imp.module().equals(Abi.WASI_MODULE) && wanted.results().equals(java.util.List.of(ValType.I32))) {
            return new Definition(imp.module(), imp.name(), wanted, WasiStdioFunctions::notSupported);
        }
        if (d == null) {
            throw new IllegalArgumentException("imports " + where + ", which this host (ABI version " + Abi.VERSION
                    + ") does not provide");
        }
        if (!d.type().equals(wanted)) {
            throw new IllegalArgumentException("imports " + where + " with type " + wanted + ", expected " + d.type());
        }
        return d;
    }
}
