package io.opshell.host.wasm;

import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads what the binding does not expose from a module's binary: its exports and the limits of
 * its memory. Only the import, memory and export sections are decoded; everything else is skipped.
 */
final class WasmBinary {
    static final long PAGE_BYTES = 64 * 1024;

    /**
     * @param exports        names of all exports
     * @param memoryMaxPages declared maximum of the defined memory, empty if none is declared
     * @param memoryCount    memories defined or imported (a shell has exactly one, defined)
     * @param importsMemory  true if a memory is imported rather than defined
     * @param hasStart       true if the module has a start function (code run at instantiation)
     */
    record Info(Set<String> exports, OptionalLong memoryMaxPages, int memoryCount, boolean importsMemory, boolean hasStart) {}

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
        Set<String> exports = new HashSet<>();
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
                case 2 -> { // imports
                    long count = u32();
                    for (long i = 0; i < count; i++) {
                        name();
                        name();
                        int kind = u8();
                        switch (kind) {
                            case 0 -> u32(); // func: type index
                            case 1 -> { u8(); limits(); } // table: reftype, limits
                            case 2 -> { memories++; importsMemory = true; limits(); }
                            case 3 -> { u8(); u8(); } // global: valtype, mutability
                            default -> throw new IllegalArgumentException("unknown import kind " + kind);
                        }
                    }
                }
                case 5 -> { // memories
                    long count = u32();
                    for (long i = 0; i < count; i++) {
                        memories++;
                        maxPages = limits();
                    }
                }
                case 7 -> { // exports
                    long count = u32();
                    for (long i = 0; i < count; i++) {
                        exports.add(name());
                        u8();
                        u32();
                    }
                }
                case 8 -> hasStart = true;
                default -> { }
            }
            pos = end;
        }
        return new Info(Set.copyOf(exports), maxPages, memories, importsMemory, hasStart);
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
        String s = new String(bytes, pos, len, java.nio.charset.StandardCharsets.UTF_8);
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
