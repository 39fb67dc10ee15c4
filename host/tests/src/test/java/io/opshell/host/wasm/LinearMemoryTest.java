package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.support.Engines;
import io.opshell.host.support.Wat;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A guest's linear memory behaves as the spec says on every engine, straight on the seam: loads
 * and stores of each width up to the last byte and a trap one byte past it, growth that keeps
 * what was written and reads zeros in the new pages, refusal past the maximum, bulk fill and
 * copy (overlapping both ways, nothing written when out of bounds), and data segments, active and
 * passive. On Chicory the memory is opshell's own ({@code FlatMemory}: one array whose capacity
 * runs ahead of the guest's size), so this is where an off-by-one there would show.
 */
class LinearMemoryTest {
    private static final Duration DEADLINE = Duration.ofSeconds(5);
    private static final int PAGE = 65_536;
    private static final String GUEST = """
            (module
              (memory (export "memory") 1 3)
              (data (i32.const 100) "hello")
              (data "world!")
              (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
              (func (export "load16") (param i32) (result i32) (i32.load16_u (local.get 0)))
              (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
              (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
              (func (export "load32_off") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
              (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
              (func (export "store16") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
              (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
              (func (export "store64") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
              (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
              (func (export "size") (result i32) (memory.size))
              (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
              (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
              (func (export "init") (param i32 i32 i32) (memory.init 1 (local.get 0) (local.get 1) (local.get 2)))
              (func (export "drop") (data.drop 1)))
            """;

    @Test
    void memoryBehavesAsTheSpecSays() throws Exception {
        try (WasmRuntime rt = Engines.runtime();
                WasmModule module = rt.engine().compile("memory", Wat.compile(GUEST));
                WasmInstance instance = module.instantiate(List.of(), 3L * PAGE)) {
            Guest g = new Guest(instance);

            assertThat(g.i32("load8", 100)).as("active data segment").isEqualTo('h');
            assertThat(g.i32("load8", 104)).isEqualTo('o');

            // Each width up to the last byte of the first page, and one byte past it traps.
            g.call("store32", PAGE - 4, 0x01020304);
            assertThat(g.i32("load32", PAGE - 4)).isEqualTo(0x01020304);
            assertThat(g.i32("load8", PAGE - 1)).as("little-endian").isEqualTo(0x01);
            assertThat(g.i32("load16", PAGE - 2)).isEqualTo(0x0102);
            g.call("store64", PAGE - 16, 0x1122334455667788L);
            assertThat(g.i64("load64", PAGE - 16)).isEqualTo(0x1122334455667788L);
            assertThat(g.i32("load32_off", PAGE - 8)).as("static offset").isEqualTo(0x01020304);
            assertOutOfBounds(g, "load8", PAGE);
            assertOutOfBounds(g, "load16", PAGE - 1);
            assertOutOfBounds(g, "load32", PAGE - 3);
            assertOutOfBounds(g, "load64", PAGE - 7);
            assertOutOfBounds(g, "load32_off", PAGE - 7);
            assertOutOfBounds(g, "load32", -1); // 4 GiB - 1, as the guest's unsigned address
            assertOutOfBounds(g, "load32", Integer.MIN_VALUE);
            assertThatThrownBy(() -> g.call("store8", PAGE, 1)).isInstanceOf(GuestTrap.class);
            assertThatThrownBy(() -> g.call("store16", PAGE - 1, 1)).isInstanceOf(GuestTrap.class);
            assertThatThrownBy(() -> g.call("store64", PAGE - 4, 1L)).as("a store half inside writes nothing")
                    .isInstanceOf(GuestTrap.class);
            assertThat(g.i32("load32", PAGE - 4)).isEqualTo(0x01020304);

            // Growth keeps what was written; new pages read zero; past the maximum, -1.
            assertThat(g.i32("grow", 1)).isEqualTo(1);
            assertThat(g.i32("size")).isEqualTo(2);
            assertThat(g.i32("load32", PAGE - 4)).isEqualTo(0x01020304);
            assertThat(g.i64("load64", PAGE)).isZero();
            assertThat(g.i64("load64", 2 * PAGE - 8)).isZero();
            assertOutOfBounds(g, "load8", 2 * PAGE);
            g.call("store8", 2 * PAGE - 1, 0x7f);
            assertThat(g.i32("grow", 0)).isEqualTo(2);
            assertThat(g.i32("grow", 2)).as("past the maximum").isEqualTo(-1);
            assertThat(g.i32("grow", -1)).as("4 GiB of pages").isEqualTo(-1);
            assertThat(g.i32("grow", 1)).isEqualTo(2);
            assertThat(g.i32("size")).isEqualTo(3);
            assertThat(g.i32("load8", 2 * PAGE - 1)).isEqualTo(0x7f);
            assertThat(g.i64("load64", 3 * PAGE - 8)).isZero();
            assertOutOfBounds(g, "load8", 3 * PAGE);

            // Fill: up to the end, and nothing written when it runs past it.
            g.call("fill", 10, 0xab, 5);
            assertThat(g.i32("load8", 14)).isEqualTo(0xab);
            assertThat(g.i32("load8", 15)).isZero();
            g.call("fill", 3 * PAGE - 2, 0xcd, 2);
            assertThat(g.i32("load16", 3 * PAGE - 2)).isEqualTo(0xcdcd);
            g.call("fill", 3 * PAGE, 0xcd, 0); // empty, at the end: allowed
            assertThatThrownBy(() -> g.call("fill", 3 * PAGE - 4, 0xee, 5)).isInstanceOf(GuestTrap.class);
            assertThat(g.i32("load16", 3 * PAGE - 4)).isZero();
            assertThatThrownBy(() -> g.call("fill", 3 * PAGE + 1, 0xee, 0)).isInstanceOf(GuestTrap.class);

            // Copy, overlapping forwards and backwards, as memmove.
            g.call("store64", 200, 0x0807060504030201L);
            g.call("copy", 202, 200, 6);
            assertThat(g.i64("load64", 200)).isEqualTo(0x0605040302010201L);
            g.call("store64", 200, 0x0807060504030201L);
            g.call("copy", 200, 202, 6);
            assertThat(g.i64("load64", 200)).isEqualTo(0x0807080706050403L);
            assertThatThrownBy(() -> g.call("copy", 3 * PAGE - 4, 200, 8)).isInstanceOf(GuestTrap.class);
            assertThatThrownBy(() -> g.call("copy", 200, 3 * PAGE - 4, 8)).isInstanceOf(GuestTrap.class);
            assertThat(g.i32("load32", 3 * PAGE - 4)).isEqualTo(0xcdcd0000);

            // A passive segment: copied in part or whole, refused past its end, gone once dropped.
            g.call("init", 300, 0, 6);
            g.call("init", 400, 2, 3);
            assertThat(g.i64("load64", 300)).isEqualTo(0x21646c726f77L);
            assertThat(g.i32("load32", 400)).isEqualTo(0x00646c72);
            assertThatThrownBy(() -> g.call("init", 300, 1, 6)).isInstanceOf(GuestTrap.class);
            g.call("drop");
            g.call("init", 300, 0, 0);
            assertThatThrownBy(() -> g.call("init", 300, 0, 1)).isInstanceOf(GuestTrap.class);
        }
    }

    private static void assertOutOfBounds(Guest g, String load, int addr) {
        assertThatThrownBy(() -> g.call(load, addr)).as(load + " at " + Integer.toUnsignedString(addr))
                .isInstanceOfSatisfying(GuestTrap.class, t -> assertThat(t.kind()).isEqualTo(GuestTrap.Kind.MEMORY_OUT_OF_BOUNDS));
    }

    /** Calls exports by name; every argument is an i32 except a store64's value. */
    private record Guest(WasmInstance instance) {
        long[] call(String name, Object... args) throws GuestTrap {
            List<ValType> params = new java.util.ArrayList<>();
            long[] values = new long[args.length];
            for (int i = 0; i < args.length; i++) {
                params.add(args[i] instanceof Long ? ValType.I64 : ValType.I32);
                values[i] = ((Number) args[i]).longValue();
            }
            boolean i64 = name.startsWith("load64");
            boolean result = name.startsWith("load") || name.equals("grow") || name.equals("size");
            FunctionType type = result ? FunctionType.of(params, i64 ? ValType.I64 : ValType.I32) : FunctionType.of(params);
            return instance.function(name, type).orElseThrow().call(DEADLINE, values);
        }

        int i32(String name, Object... args) throws GuestTrap {
            return (int) call(name, args)[0];
        }

        long i64(String name, Object... args) throws GuestTrap {
            return call(name, args)[0];
        }
    }
}
