package io.opshell.host.wasm;

import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.ImportType;
import io.github.kawamuray.wasmtime.Val;
import io.opshell.abi.Abi;
import java.util.Arrays;
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
    record Definition(String module, String name, FuncType type, GuestCall.Handler handler) {}

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
    static Definition resolve(ImportType imp) {
        String where = imp.module() + "." + imp.name();
        if (imp.type() != ImportType.Type.FUNC) {
            throw new IllegalArgumentException("imports " + where + " (a " + imp.type().name().toLowerCase()
                    + "); shells may import functions only");
        }
        FuncType wanted = imp.func();
        Definition d = DEFINITIONS.get(where);
        if (d == null && imp.module().equals(Abi.WASI_MODULE) && returnsOneI32(wanted)) {
            return new Definition(imp.module(), imp.name(), wanted, WasiStdioFunctions::notSupported);
        }
        if (d == null) {
            throw new IllegalArgumentException("imports " + where + ", which this host (ABI version " + Abi.VERSION
                    + ") does not provide");
        }
        if (!d.type().equals(wanted)) {
            throw new IllegalArgumentException("imports " + where + " with type " + describe(wanted) + ", expected "
                    + describe(d.type()));
        }
        return d;
    }

    private static boolean returnsOneI32(FuncType t) {
        return t.getResults().length == 1 && t.getResults()[0] == Val.Type.I32;
    }

    private static String describe(FuncType t) {
        return Arrays.toString(t.getParams()) + " -> " + Arrays.toString(t.getResults());
    }

    static FuncType type(Val.Type[] params, Val.Type... results) {
        return new FuncType(params, results);
    }

    static Val.Type[] i32s(int n) {
        Val.Type[] t = new Val.Type[n];
        Arrays.fill(t, Val.Type.I32);
        return t;
    }
}
