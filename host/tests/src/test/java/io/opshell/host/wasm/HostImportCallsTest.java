package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.Engines;
import io.opshell.host.support.Wat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Host imports receive exactly the guest's arguments and the guest exactly their results, on
 * every engine, straight on the seam: six i32s (negative and largest), an i64 at its extremes, a
 * function without result, and floats (which only an unsupported WASI import sees, as their bits).
 * On wasmtime all of these pass through one host function (the engine's import gate), so this is
 * where a widening or narrowing slip would show.
 */
class HostImportCallsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(5);
    private static final String GUEST = """
            (module
              (import "t" "six" (func $six (param i32 i32 i32 i32 i32 i32) (result i32)))
              (import "t" "wide" (func $wide (param i64 i32) (result i64)))
              (import "t" "floats" (func $floats (param f32 f64 i32) (result i32)))
              (import "t" "none" (func $none (param i32)))
              (memory (export "memory") 1 1)
              (func (export "six") (result i32)
                (call $six (i32.const -1) (i32.const 2) (i32.const -2147483648) (i32.const 0) (i32.const 5)
                           (i32.const 2147483647)))
              (func (export "wide") (result i64)
                (call $wide (i64.const -9223372036854775808) (i32.const -2)))
              (func (export "floats") (result i32)
                (call $floats (f32.const -1.5) (f64.const -2.25) (i32.const 7)))
              (func (export "none")
                (call $none (i32.const 42))))
            """;

    @Test
    void argumentsAndResultsCrossUnchanged() throws Exception {
        List<long[]> seen = new ArrayList<>();
        List<HostImport> imports = List.of(
                new HostImport("t", "six", FunctionType.of(FunctionType.i32s(6), ValType.I32), args -> {
                    seen.add(args.clone());
                    return -7;
                }),
                new HostImport("t", "wide", FunctionType.of(List.of(ValType.I64, ValType.I32), ValType.I64), args -> {
                    seen.add(args.clone());
                    return Long.MAX_VALUE;
                }),
                new HostImport("t", "floats", FunctionType.of(List.of(ValType.F32, ValType.F64, ValType.I32), ValType.I32),
                        args -> {
                            seen.add(args.clone());
                            return 52; // ENOSYS, as an unsupported WASI import answers
                        }),
                new HostImport("t", "none", FunctionType.of(FunctionType.i32s(1)), args -> {
                    seen.add(args.clone());
                    return 0;
                }));
        try (WasmRuntime rt = Engines.runtime();
                WasmModule module = rt.engine().compile("imports", Wat.compile(GUEST));
                WasmInstance instance = module.instantiate(imports, 1 << 16)) {
            long six = call(instance, "six", FunctionType.of(List.of(), ValType.I32));
            long wide = call(instance, "wide", FunctionType.of(List.of(), ValType.I64));
            long floats = call(instance, "floats", FunctionType.of(List.of(), ValType.I32));
            long[] none = instance.function("none", FunctionType.of(List.of())).orElseThrow().call(DEADLINE);

            assertThat((int) six).isEqualTo(-7);
            assertThat(wide).isEqualTo(Long.MAX_VALUE);
            assertThat((int) floats).isEqualTo(52);
            assertThat(none).isEmpty();
            assertThat(seen).hasSize(4);
            assertThat(low32(seen.get(0))).containsExactly(-1, 2, Integer.MIN_VALUE, 0, 5, Integer.MAX_VALUE);
            assertThat(seen.get(1)[0]).isEqualTo(Long.MIN_VALUE);
            assertThat((int) seen.get(1)[1]).isEqualTo(-2);
            assertThat((int) seen.get(2)[0]).isEqualTo(Float.floatToRawIntBits(-1.5f));
            assertThat(seen.get(2)[1]).isEqualTo(Double.doubleToRawLongBits(-2.25));
            assertThat((int) seen.get(2)[2]).isEqualTo(7);
            assertThat((int) seen.get(3)[0]).isEqualTo(42);
        }
    }

    private static long call(WasmInstance instance, String name, FunctionType type) throws GuestTrap {
        long[] results = instance.function(name, type).orElseThrow().call(DEADLINE);
        assertThat(results).as(name + " results").hasSize(1);
        return results[0];
    }

    private static int[] low32(long[] args) {
        int[] out = new int[args.length];
        for (int i = 0; i < args.length; i++) {
            out[i] = (int) args[i];
        }
        return out;
    }
}
