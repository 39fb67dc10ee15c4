package io.opshell.abi;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked access to a guest's linear memory. Pointers and lengths are unsigned 32-bit
 * values; every range is checked with 64-bit arithmetic (so {@code ptr + len} cannot wrap) against
 * the memory's size before a byte is touched. Checks run in a fixed order: bounds
 * ({@link AbiError#OUT_OF_BOUNDS}), then size caps ({@link AbiError#TOO_LARGE}), then content
 * ({@link AbiError#INVALID_UTF8}, {@link AbiError#BAD_ARGUMENT}).
 *
 * <p>The size is cached and asked again only when an access falls outside it (memory never
 * shrinks, and asking can cost as much as the access). Not thread-safe: one instance per guest
 * instance, used on the thread running it.
 */
public final class GuestMemory {
    private final LinearMemory memory;
    private long knownSize;

    public GuestMemory(LinearMemory memory) {
        this.memory = memory;
    }

    public byte[] readBytes(int ptr, int len, int maxLen, String what) {
        check(ptr, len, what);
        if (Integer.toUnsignedLong(len) > maxLen) {
            throw new AbiException(AbiError.TOO_LARGE, what + " is " + Integer.toUnsignedString(len) + " bytes, limit " + maxLen);
        }
        byte[] out = new byte[len];
        memory.read(ptr, out, 0, len);
        return out;
    }
    public String readText(int ptr, int len, int maxLen, String what) {
        return decodeUtf8(readBytes(ptr, len, maxLen, what), what);
    }

    /** A key: text, 1..maxLen bytes, no control characters (so key listings can be newline-separated). */
    public String readKey(int ptr, int len, int maxLen) {
        String key = readText(ptr, len, maxLen, "key");
        if (key.isEmpty()) {
            throw new AbiException(AbiError.BAD_ARGUMENT, "key is empty");
        }
        // One pass, no streams: every kv get and set reads a key.
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isISOControl(c)) {
                throw new AbiException(AbiError.BAD_ARGUMENT, "key contains a control character");
            }
            if (isBidiControl(c)) {
                // A key is shown to other operators; an override could make it read as another.
                throw new AbiException(AbiError.BAD_ARGUMENT, "key contains a bidirectional control character");
            }
        }
        return key;
    }

    /**
     * Writes a result into the guest's buffer {@code (ptr, cap)} if it fits, and returns its full
     * length either way: a result longer than {@code cap} is not written at all (never truncated),
     * so the guest can retry with a buffer of the returned size.
     */
    public int writeResult(int ptr, int cap, byte[] data) {
        check(ptr, cap, "result buffer");
        if (Integer.toUnsignedLong(data.length) <= Integer.toUnsignedLong(cap)) {
            memory.write(ptr, data, 0, data.length);
        }
        return data.length;
    }

    /** Checks that {@code (ptr, len)} lies inside guest memory, e.g. a result buffer before state changes. */
    public void checkRange(int ptr, int len, String what) {
        check(ptr, len, what);
    }

    public void writeI64(int ptr, long value) {
        check(ptr, Long.BYTES, "i64 result");
        memory.writeI64(ptr, value);
    }

    public void writeI32(int ptr, int value) {
        check(ptr, Integer.BYTES, "i32 result");
        memory.writeI32(ptr, value);
    }

    public int readI32(int ptr) {
        check(ptr, Integer.BYTES, "i32 argument");
        return memory.readI32(ptr);
    }

    /** Copies {@code len} bytes of {@code src} from {@code offset} into guest memory at {@code ptr}. */
    public void writeBytes(int ptr, byte[] src, int offset, int len) {
        check(ptr, len, "buffer");
        memory.write(ptr, src, offset, len);
    }

    /** Copies guest memory {@code (ptr, len)} into {@code dst} at {@code offset}. */
    public void readInto(int ptr, int len, byte[] dst, int offset) {
        check(ptr, len, "buffer");
        memory.read(ptr, dst, offset, len);
    }

    private void check(int ptr, int len, String what) {
        long end = Integer.toUnsignedLong(ptr) + Integer.toUnsignedLong(len);
        if (end > knownSize) {
            knownSize = memory.size();
            if (end > knownSize) {
                throw new AbiException(AbiError.OUT_OF_BOUNDS, what + " [" + Integer.toUnsignedString(ptr) + ", +"
                        + Integer.toUnsignedString(len) + ") is outside guest memory of " + knownSize + " bytes");
            }
        }
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** The embedding, override and isolate controls U+202A–U+202E and U+2066–U+2069. */
    static boolean isBidiControl(int c) {
        return c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069;
    }

    static String decodeUtf8(byte[] bytes, String what) {
        if (isAscii(bytes)) {
            // Most keys and values: ASCII is valid UTF-8 as it is. With a new strict decoder per
            // call, reading a short key took half as long again (50 ns against 33). Latin-1 reads
            // ASCII alike and copies without scanning the bytes again, as the ASCII charset would.
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new AbiException(AbiError.INVALID_UTF8, what + " is not valid UTF-8");
        }
    }
}
