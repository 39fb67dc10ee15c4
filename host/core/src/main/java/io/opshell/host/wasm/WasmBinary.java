package io.opshell.host.wasm;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads what opshell checks before handing a module to an engine: its function types, imports,
 * exports (with their signatures) and the limits of its memory. Only the type, import, function,
 * memory, export and start sections are decoded; everything else is skipped. Engine-neutral, so
 * every engine refuses the same modules with the same words.
 */
final class WasmBinary {
    static final long PAGE_BYTES = 64 * 1024;

    private static final int SECTION_TYPE = 1;
    private static final int SECTION_IMPORT = 2;
    private static final int SECTION_FUNCTION = 3;
    private static final int SECTION_MEMORY = 5;
    private static final int SECTION_EXPORT = 7;
    private static final int SECTION_START = 8;
    private static final int KIND_FUNC = 0;
    private static final int KIND_TABLE = 1;
    private static final int KIND_MEMORY = 2;
    private static final int KIND_GLOBAL = 3;
    private static final int FUNC_TYPE_TAG = 0x60;

    /** One import; {@code type} is set for functions, null for the other kinds. */
    record Import(String module, String name, int kind, FunctionType type) {
        boolean isFunction() {
            return kind == KIND_FUNC;
        }

        String kindName() {
            return switch (kind) {
                case KIND_FUNC -> "function";
                case KIND_TABLE -> "table";
                case KIND_MEMORY -> "memory";
                default -> "global";
            };
        }
    }

    /**
     * @param imports        the imports, in order
     * @param functions      exported functions by name, with their types
     * @param exports        every export's name and kind
     * @param memoryMaxPages declared maximum of the defined memory, empty if none is declared
     * @param memoryCount    memories defined or imported (a shell has exactly one, defined)
     * @param importsMemory  true if a memory is imported rather than defined
     * @param hasStart       true if the module has a start function (code run at instantiation)
     */
    record Info(List<Import> imports, Map<String, FunctionType> functions, Map<String, Integer> exports,
            OptionalLong memoryMaxPages, int memoryCount, boolean importsMemory, boolean hasStart) {}

    private final byte[] bytes;
    private int pos;

    private WasmBinary(byte[] bytes) {
        this.bytes = bytes;
    }

    static Info inspect(byte[] bytes) {
        return new WasmBinary(bytes).read();
    }

    private Info read() {
        if (bytes.length < 8 || bytes[0] != 0 || bytes[1] != 'a' || bytes[2] != 's' || bytes[3] != 'm') {
            throw new IllegalArgumentException("not a WebAssembly binary (bad magic number)");
        }
        if (bytes[4] != 1 || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0) {
            throw new IllegalArgumentException("unsupported WebAssembly binary version");
        }
        pos = 8;
        List<FunctionType> types = new ArrayList<>();
        List<Import> imports = new ArrayList<>();
        List<Integer> functionTypes = new ArrayList<>(); // type index of every function, imported first
        Map<String, Integer> exports = new HashMap<>();
        Map<String, Integer> exportedFunctions = new HashMap<>();
        OptionalLong maxPages = OptionalLong.empty();
        int memories = 0;
        boolean importsMemory = false;
        boolean hasStart = false;
        while (pos < bytes.length) {
            int id = u8();
            long size = u32();
            int end = Math.toIntExact(pos + size);
            if (end > bytes.length) {
                throw new IllegalArgumentException("section " + id + " runs past the end of the binary");
            }
            switch (id) {
                case SECTION_TYPE -> {
                    for (long i = 0, n = u32(); i < n; i++) {
                        types.add(functionType());
                    }
                }
                case SECTION_IMPORT -> {
                    for (long i = 0, n = u32(); i < n; i++) {
                        String module = name();
                        String name = name();
                        int kind = u8();
                        FunctionType type = null;
                        switch (kind) {
                            case KIND_FUNC -> {
                                int index = index(u32(), types.size(), "import " + module + "." + name);
                                type = types.get(index);
                                functionTypes.add(index);
                            }
                            case KIND_TABLE -> { u8(); limits(); } // reftype, limits
                            case KIND_MEMORY -> { memories++; importsMemory = true; limits(); }
                            case KIND_GLOBAL -> { u8(); u8(); } // valtype, mutability
                            default -> throw new IllegalArgumentException("unknown import kind " + kind);
                        }
                        imports.add(new Import(module, name, kind, type));
                    }
                }
                case SECTION_FUNCTION -> {
                    for (long i = 0, n = u32(); i < n; i++) {
                        functionTypes.add(index(u32(), types.size(), "a function"));
                    }
                }
                case SECTION_MEMORY -> {
                    for (long i = 0, n = u32(); i < n; i++) {
                        memories++;
                        maxPages = limits();
                    }
                }
                case SECTION_EXPORT -> {
                    for (long i = 0, n = u32(); i < n; i++) {
                        String name = name();
                        int kind = u8();
                        long index = u32();
                        exports.put(name, kind);
                        if (kind == KIND_FUNC) {
                            exportedFunctions.put(name, index(index, functionTypes.size(), "export " + name));
                        }
                    }
                }
                case SECTION_START -> hasStart = true;
                default -> { }
            }
            pos = end;
        }
        Map<String, FunctionType> functions = new HashMap<>();
        exportedFunctions.forEach((name, function) -> functions.put(name, types.get(functionTypes.get(function))));
        return new Info(List.copyOf(imports), Map.copyOf(functions), Map.copyOf(exports), maxPages, memories,
                importsMemory, hasStart);
    }

    private FunctionType functionType() {
        int tag = u8();
        if (tag != FUNC_TYPE_TAG) {
            throw new IllegalArgumentException("malformed type section (tag 0x" + Integer.toHexString(tag) + ")");
        }
        List<ValType> params = valTypes();
        List<ValType> results = valTypes();
        return new FunctionType(params, results);
    }

    private List<ValType> valTypes() {
        List<ValType> out = new ArrayList<>();
        for (long i = 0, n = u32(); i < n; i++) {
            out.add(ValType.fromCode(u8()));
        }
        return out;
    }

    private static int index(long index, int count, String what) {
        if (index >= count) {
            throw new IllegalArgumentException(what + " refers to index " + index + " of " + count);
        }
        return (int) index;
    }

    /** Reads limits and returns the maximum, if one is declared. */
    private OptionalLong limits() {
        int flags = u8();
        u32(); // minimum
        return (flags & 1) != 0 ? OptionalLong.of(u32()) : OptionalLong.empty();
    }

    private String name() {
        int len = Math.toIntExact(u32());
        if (len > bytes.length - pos) {
            throw new IllegalArgumentException("name runs past the end of the binary");
        }
        String s = new String(bytes, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private int u8() {
        if (pos >= bytes.length) {
            throw new IllegalArgumentException("unexpected end of binary");
        }
        return bytes[pos++] & 0xff;
    }

    private long u32() {
        long result = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = u8();
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("malformed LEB128 number");
    }
}
