package io.opshell.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
    private final ByteBuffer backing = ByteBuffer.allocate(1024);
    private final GuestMemory mem = new GuestMemory(LinearMemory.ofBuffers(() -> backing.duplicate()));

    private static AbiError errorOf(Runnable r) {
        try {
            r.run();
        } catch (AbiException e) {
            return e.error();
        }
        throw new AssertionError("no AbiException");
    }

    @Test
    void rangesAreCheckedWithoutWrapping() {
        assertThat(errorOf(() -> mem.readBytes(1020, 8, 100, "x"))).isEqualTo(AbiError.OUT_OF_BOUNDS);
        assertThat(errorOf(() -> mem.readBytes(0xFFFFFFF0, 0x20, 100, "x"))).isEqualTo(AbiError.OUT_OF_BOUNDS);
        assertThat(errorOf(() -> mem.readBytes(16, -1, 100, "x"))).isEqualTo(AbiError.OUT_OF_BOUNDS);
        assertThat(errorOf(() -> mem.writeI64(1020, 1))).isEqualTo(AbiError.OUT_OF_BOUNDS);
        assertThat(mem.readBytes(1024, 0, 100, "x")).isEmpty();
        assertThat(errorOf(() -> mem.readBytes(1025, 0, 100, "x"))).isEqualTo(AbiError.OUT_OF_BOUNDS);
    }

    @Test
    void boundsComeBeforeSizeAndSizeBeforeContent() {
        backing.put(0, (byte) 0xff);
        assertThat(errorOf(() -> mem.readText(0, 2000, 10, "x"))).isEqualTo(AbiError.OUT_OF_BOUNDS);
        assertThat(errorOf(() -> mem.readText(0, 20, 10, "x"))).isEqualTo(AbiError.TOO_LARGE);
        assertThat(errorOf(() -> mem.readText(0, 2, 10, "x"))).isEqualTo(AbiError.INVALID_UTF8);
    }

    @Test
    void keysAreNonEmptyTextWithoutControlCharacters() {
        backing.put(0, "a\nb".getBytes(StandardCharsets.UTF_8));
        assertThat(errorOf(() -> mem.readKey(0, 0, 10))).isEqualTo(AbiError.BAD_ARGUMENT);
        assertThat(errorOf(() -> mem.readKey(0, 3, 10))).isEqualTo(AbiError.BAD_ARGUMENT);
        assertThat(mem.readKey(0, 1, 10)).isEqualTo("a");
    }

    @Test
    void textIsStrictUtf8WhetherAsciiOrNot() {
        byte[] ascii = "key-1".getBytes(StandardCharsets.UTF_8);
        byte[] wide = "ключ→é".getBytes(StandardCharsets.UTF_8);
        backing.put(200, ascii).put(300, wide).put(400, new byte[] {'a', (byte) 0xc3, '('}).put(500, new byte[] {(byte) 0x80});
        assertThat(mem.readText(200, ascii.length, 100, "x")).isEqualTo("key-1");
        assertThat(mem.readKey(300, wide.length, 100)).isEqualTo("ключ→é");
        assertThat(errorOf(() -> mem.readText(400, 3, 100, "x"))).isEqualTo(AbiError.INVALID_UTF8);
        assertThat(errorOf(() -> mem.readKey(500, 1, 100))).isEqualTo(AbiError.INVALID_UTF8);
    }

    @Test
    void keysRefuseControlsAnywhereInThem() {
        byte[] del = "ab\u007f".getBytes(StandardCharsets.UTF_8);
        byte[] c1 = "ab\u0085".getBytes(StandardCharsets.UTF_8);
        byte[] bidi = "a\u202eb".getBytes(StandardCharsets.UTF_8);
        byte[] isolate = "a\u2069".getBytes(StandardCharsets.UTF_8);
        backing.put(600, del).put(700, c1).put(800, bidi).put(900, isolate);
        assertThatThrownBy(() -> mem.readKey(600, del.length, 100)).hasMessage("bad argument: key contains a control character");
        assertThatThrownBy(() -> mem.readKey(700, c1.length, 100)).hasMessage("bad argument: key contains a control character");
        assertThatThrownBy(() -> mem.readKey(800, bidi.length, 100)).hasMessage("bad argument: key contains a bidirectional control character");
        assertThatThrownBy(() -> mem.readKey(900, isolate.length, 100)).hasMessage("bad argument: key contains a bidirectional control character");
    }

    @Test
    void resultsAreWrittenWholeOrNotAtAll() {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        backing.put(100, new byte[] {9, 9, 9, 9, 9});
        assertThat(mem.writeResult(100, 4, data)).isEqualTo(5);
        assertThat(backing.get(100)).isEqualTo((byte) 9);
        assertThat(mem.writeResult(100, 5, data)).isEqualTo(5);
        assertThat(mem.readText(100, 5, 10, "x")).isEqualTo("hello");
        assertThat(errorOf(() -> mem.writeResult(1022, 4, data))).isEqualTo(AbiError.OUT_OF_BOUNDS);
    }

    @Test
    void aGrownMemoryIsFetchedAgain() {
        ByteBuffer[] current = {ByteBuffer.allocate(16)};
        GuestMemory growing = new GuestMemory(LinearMemory.ofBuffers(() -> current[0].duplicate()));
        assertThatThrownBy(() -> growing.writeI32(32, 7)).isInstanceOf(AbiException.class);
        current[0] = ByteBuffer.allocate(64);
        growing.writeI32(32, 7);
        assertThat(growing.readI32(32)).isEqualTo(7);
    }
}
