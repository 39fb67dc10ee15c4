package io.opshell.engine.wasmtime;

import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.ImportType;
import io.github.kawamuray.wasmtime.Val;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A small Wasm module, made for one shell module, through which all of that shell's imports reach
 * the host by a single host function. Why: wasmtime compiles (Cranelift) a trampoline for every
 * host Func made with a dynamic type, per Store, and the binding has no Linker-level host functions
 * that Stores could share. Measured on wasmtime-java 0.19.0 (wasmtime 7.0.1), x86_64: each such Func
 * cost about 0.4 ms of CPU and two memory mappings per instance (echo, 5 imports: 2.1 ms per
 * instance; kv, 14: 5.7 ms; scheme, 17: 6.1 ms), which made instantiation outrun the instance pool
 * and held half an idle session's RSS. The gate's functions are Wasm, compiled once with the gate;
 * an instance of it compiles nothing.
 *
 * <p>The gate exports one function per import of the shell, named by the import's position
 * ({@code "0"}, {@code "1"}, …) and with the import's type. Each stores its arguments in the gate's
 * own small memory ({@value #ARGS_MEMORY}: argument i as an i64 at byte 8·i, i32s sign-extended as
 * the binding hands them to a host function, floats as their bits), calls the gate's one import,
 * {@value #MODULE}.{@value #DISPATCH}{@code (position: i32) -> i64}, and narrows the result back
 * (an i32 is the low 32 bits; none is dropped). The shell's instance is then linked to the gate's
 * exports. Arguments go through memory, not as parameters, because the binding marshals every
 * parameter of a host call through JNI: as seven i64 parameters they made a host call about 10 µs
 * dearer than the shell's own imports had been. opshell's host functions take and return integers
 * (guest-abi/ABI.md); floats pass only so that an unsupported WASI import gets its error code as on
 * any engine. Vectors and references are refused.
 *
 * <p>Where to change it: {@link #forward} writes each export's body.
 */
final class ImportGate {
    /** The gate's import module and its single function, served by {@link WasmtimeInstance}. */
    static final String MODULE = "opshell_gate";
    static final String DISPATCH = "dispatch";
    /** The gate's exported memory holding a call's arguments, {@link #ARG_BYTES} each. */
    static final String ARGS_MEMORY = "args";
    static final int ARG_BYTES = Long.BYTES;

    private static final byte[] MAGIC_AND_VERSION = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    private static final int SECTION_TYPE = 1;
    private static final int SECTION_IMPORT = 2;
    private static final int SECTION_FUNCTION = 3;
    private static final int SECTION_MEMORY = 5;
    private static final int SECTION_EXPORT = 7;
    private static final int SECTION_CODE = 10;
    private static final int FUNC_TYPE = 0x60;
    private static final int KIND_FUNC = 0x00;
    private static final int KIND_MEMORY = 0x02;
    /** Memory limits with a maximum: flag, then minimum and maximum pages. */
    private static final int LIMITS_MIN_MAX = 0x01;
    /** One 64 KiB page holds far more arguments than any function has. */
    private static final int ARGS_PAGES = 1;
    private static final int I32 = 0x7f;
    private static final int I64 = 0x7e;
    private static final int F32 = 0x7d;
    private static final int F64 = 0x7c;
    private static final int OP_CALL = 0x10;
    private static final int OP_DROP = 0x1a;
    private static final int OP_LOCAL_GET = 0x20;
    private static final int OP_I64_STORE = 0x37;
    /** i64.store's alignment hint: 2^3 bytes. */
    private static final int ALIGN_8 = 3;
    private static final int OP_I32_CONST = 0x41;
    private static final int OP_I32_WRAP_I64 = 0xa7;
    private static final int OP_I64_EXTEND_I32_S = 0xac;
    private static final int OP_I64_EXTEND_I32_U = 0xad;
    private static final int OP_I32_REINTERPRET_F32 = 0xbc;
    private static final int OP_I64_REINTERPRET_F64 = 0xbd;
    private static final int OP_F32_REINTERPRET_I32 = 0xbe;
    private static final int OP_F64_REINTERPRET_I64 = 0xbf;
    private static final int OP_END = 0x0b;
    /** The dispatch function's index: the gate's only import, so the first function. */
    private static final int DISPATCH_INDEX = 0;

    private final byte[] wasm;

    private ImportGate(byte[] wasm) {
        this.wasm = wasm;
    }

    /**
     * The gate for a module with these imports.
     *
     * @throws IllegalArgumentException if an import is not a function of numbers with at most one result
     */
    static ImportGate forImports(ImportType[] imports) {
        FuncType[] types = new FuncType[imports.length];
        for (int i = 0; i < imports.length; i++) {
            String where = imports[i].module() + "." + imports[i].name();
            if (imports[i].type() != ImportType.Type.FUNC) {
                throw new IllegalArgumentException("imports " + where + ", which is not a function");
            }
            types[i] = imports[i].func();
            if (types[i].getResults().length > 1) {
                throw new IllegalArgumentException("imports " + where + " with more than one result");
            }
            for (Val.Type[] list : List.of(types[i].getParams(), types[i].getResults())) {
                for (Val.Type t : list) {
                    if (!isNumber(t)) {
                        throw new IllegalArgumentException("imports " + where + " taking or returning " + t
                                + "; host functions take and return numbers only");
                    }
                }
            }
        }
        return new ImportGate(assemble(types));
    }

    /** The gate module's binary. */
    byte[] wasm() {
        return wasm;
    }

    /** The dispatch function's type: the import's position in, its result (widened to i64) out. */
    static FuncType dispatchType() {
        return new FuncType(new Val.Type[] {Val.Type.I32}, new Val.Type[] {Val.Type.I64});
    }

    /** The name of the gate's export that stands for the import at {@code position}. */
    static String exportName(int position) {
        return Integer.toString(position);
    }

    private static boolean isNumber(Val.Type t) {
        return t == Val.Type.I32 || t == Val.Type.I64 || t == Val.Type.F32 || t == Val.Type.F64;
    }

    /** The binary format's code for a number type (checked by {@link #forImports}). */
    private static int code(Val.Type t) {
        return switch (t) {
            case I32 -> I32;
            case I64 -> I64;
            case F32 -> F32;
            case F64 -> F64;
            default -> throw new IllegalStateException("not a number type: " + t);
        };
    }

    private static byte[] assemble(FuncType[] imports) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC_AND_VERSION);

        Bytes types = new Bytes();
        types.u32(1 + imports.length);
        types.u8(FUNC_TYPE).u32(1).u8(I32).u32(1).u8(I64);
        for (FuncType t : imports) {
            types.u8(FUNC_TYPE).u32(t.getParams().length);
            for (Val.Type p : t.getParams()) {
                types.u8(code(p));
            }
            types.u32(t.getResults().length);
            for (Val.Type r : t.getResults()) {
                types.u8(code(r));
            }
        }
        section(out, SECTION_TYPE, types);

        Bytes importSection = new Bytes();
        importSection.u32(1).name(MODULE).name(DISPATCH).u8(KIND_FUNC).u32(0);
        section(out, SECTION_IMPORT, importSection);

        Bytes functions = new Bytes();
        functions.u32(imports.length);
        for (int i = 0; i < imports.length; i++) {
            functions.u32(1 + i); // type 0 is dispatch's
        }
        section(out, SECTION_FUNCTION, functions);

        Bytes memory = new Bytes();
        memory.u32(1).u8(LIMITS_MIN_MAX).u32(ARGS_PAGES).u32(ARGS_PAGES);
        section(out, SECTION_MEMORY, memory);

        Bytes exports = new Bytes();
        exports.u32(imports.length + 1);
        for (int i = 0; i < imports.length; i++) {
            exports.name(exportName(i)).u8(KIND_FUNC).u32(1 + i); // function 0 is the import
        }
        exports.name(ARGS_MEMORY).u8(KIND_MEMORY).u32(0);
        section(out, SECTION_EXPORT, exports);

        Bytes code = new Bytes();
        code.u32(imports.length);
        for (int i = 0; i < imports.length; i++) {
            Bytes body = forward(i, imports[i]);
            code.u32(body.size()).append(body);
        }
        section(out, SECTION_CODE, code);
        return out.toByteArray();
    }

    /** The body of the export for the import at {@code position}: store the arguments, dispatch, narrow. */
    private static Bytes forward(int position, FuncType type) {
        Bytes body = new Bytes();
        body.u32(0); // no locals beyond the parameters
        Val.Type[] params = type.getParams();
        for (int p = 0; p < params.length; p++) {
            body.u8(OP_I32_CONST).s32(0); // the address; the offset below picks the slot
            body.u8(OP_LOCAL_GET).u32(p);
            switch (params[p]) {
                case I32 -> body.u8(OP_I64_EXTEND_I32_S);
                case F32 -> body.u8(OP_I32_REINTERPRET_F32).u8(OP_I64_EXTEND_I32_U);
                case F64 -> body.u8(OP_I64_REINTERPRET_F64);
                default -> { } // i64 as it is
            }
            body.u8(OP_I64_STORE).u32(ALIGN_8).u32(p * ARG_BYTES);
        }
        body.u8(OP_I32_CONST).s32(position);
        body.u8(OP_CALL).u32(DISPATCH_INDEX);
        Val.Type[] results = type.getResults();
        if (results.length == 0) {
            body.u8(OP_DROP);
        } else {
            switch (results[0]) {
                case I32 -> body.u8(OP_I32_WRAP_I64);
                case F32 -> body.u8(OP_I32_WRAP_I64).u8(OP_F32_REINTERPRET_I32);
                case F64 -> body.u8(OP_F64_REINTERPRET_I64);
                default -> { } // i64 as it is
            }
        }
        body.u8(OP_END);
        return body;
    }

    private static void section(ByteArrayOutputStream out, int id, Bytes content) {
        Bytes header = new Bytes();
        header.u8(id).u32(content.size());
        out.writeBytes(header.toByteArray());
        out.writeBytes(content.toByteArray());
    }

    /** LEB128 and names, as the binary format writes them. */
    private static final class Bytes extends ByteArrayOutputStream {
        Bytes u8(int b) {
            write(b);
            return this;
        }

        Bytes u32(int value) {
            long v = Integer.toUnsignedLong(value);
            do {
                int b = (int) (v & 0x7f);
                v >>>= 7;
                write(v != 0 ? b | 0x80 : b);
            } while (v != 0);
            return this;
        }

        Bytes s32(int value) {
            int v = value;
            while (true) {
                int b = v & 0x7f;
                v >>= 7;
                boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
                write(done ? b : b | 0x80);
                if (done) {
                    return this;
                }
            }
        }

        Bytes name(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            u32(utf8.length);
            writeBytes(utf8);
            return this;
        }

        Bytes append(Bytes other) {
            writeBytes(other.toByteArray());
            return this;
        }
    }
}
