package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.support.TestServer;
import io.opshell.host.support.Wat;
import io.opshell.host.wasm.ShellLoadException;
import org.junit.jupiter.api.Test;

/** Shell modules that break the ABI's rules are refused at load, with a message naming the rule. */
class ShellLoadTest {
    private static final String EXPORTS = """
            (func (export "opshell_abi_version") (result i32) (i32.const %d))
            (func (export "opshell_init"))
            (func (export "opshell_step") (param i32 i32) (result i32) (i32.const 0))
            """;

    private static byte[] guest(String memory, int version, String extra) {
        return Wat.compile("(module " + extra + " " + memory + " " + EXPORTS.formatted(version) + ")");
    }

    private static void assertRefused(byte[] wasm, String message) {
        assertThatThrownBy(() -> TestServer.start(OpshellServer.builder().bundledShells(false).shell("bad", wasm).defaultShell("bad")))
                .isInstanceOf(ShellLoadException.class)
                .hasMessageContaining(message);
    }

    @Test
    void memoryWithoutDeclaredMaximumIsRefused() {
        assertRefused(guest("(memory (export \"memory\") 1)", 2, ""), "declares no maximum memory");
    }

    @Test
    void memoryAboveTheCapIsRefused() {
        // 2048 pages = 128 MiB, above the default 64 MiB.
        assertRefused(guest("(memory (export \"memory\") 1 2048)", 2, ""), "above the limit of 64 MiB");
    }

    @Test
    void otherAbiVersionIsRefused() {
        assertRefused(guest("(memory (export \"memory\") 1 1)", 1, ""), "speaks ABI version 1, this host speaks 2");
    }

    @Test
    void unknownHostImportIsRefused() {
        assertRefused(guest("(memory (export \"memory\") 1 1)", 2, "(import \"host\" \"format_disk\" (func (param i32) (result i32)))"),
                "imports host.format_disk, which this host (ABI version 2) does not provide");
    }

    @Test
    void wrongImportTypeIsRefused() {
        assertRefused(guest("(memory (export \"memory\") 1 1)", 2, "(import \"host\" \"sum\" (func (param i64) (result i32)))"),
                "imports host.sum with type");
    }

    @Test
    void anExportOfTheWrongTypeIsRefusedAtLoad() {
        assertRefused(Wat.compile("""
                (module (memory (export "memory") 1 1)
                  (func (export "opshell_abi_version") (result i32) (i32.const 2))
                  (func (export "opshell_init"))
                  (func (export "opshell_step") (param i32) (result i32) (i32.const 0)))"""),
                "exports 'opshell_step' with type [i32] -> [i32], expected [i32, i32] -> [i32]");
    }

    @Test
    void missingExportIsRefused() {
        assertRefused(Wat.compile("(module (memory (export \"memory\") 1 1))"), "does not export 'opshell_abi_version'");
    }

    @Test
    void notWasmIsRefused() {
        assertRefused("hello".getBytes(), "not a WebAssembly binary");
    }

    @Test
    void startFunctionIsRefused() {
        assertRefused(guest("(memory (export \"memory\") 1 1)", 2, "(func $spin (loop $l (br $l))) (start $spin)"),
                "has a start function; do its setup in opshell_init");
    }

    @Test
    void sharedBuffersOutsideMemoryAreRefused() {
        assertRefused(guest("(memory (export \"memory\") 1 1) (data (i32.const 0) \"\\00\\00\\01\\00\\10\\00\\00\\00\\00\\00\\00\\00\\10\\00\\00\\00\")"
                        + " (func (export \"opshell_buffers\") (result i32) (i32.const 0))", 2, ""),
                "shared buffers outside its memory");
    }
}
