package io.opshell.host.wasm;

/** A WebAssembly value type, as opshell names it on both sides of the engine seam. */
public enum ValType {
    I32, I64, F32, F64, V128, FUNCREF, EXTERNREF;

    /** The type for its binary encoding (WebAssembly spec, "Value Types"). */
    static ValType fromCode(int code) {
        return switch (code) {
            case 0x7F -> I32;
            case 0x7E -> I64;
            case 0x7D -> F32;
            case 0x7C -> F64;
            case 0x7B -> V128;
            case 0x70 -> FUNCREF;
            case 0x6F -> EXTERNREF;
            default -> throw new IllegalArgumentException("unknown value type 0x" + Integer.toHexString(code));
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase();
    }
}
