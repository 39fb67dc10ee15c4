package io.opshell.abi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Bounds-checked access to a guest's linear memory. Pointers and lengths are unsigned 32-bit
 * values; every range is checked with 64-bit arithmetic (so {@code ptr + len} cannot wrap) against
 * the current memory size before a byte is touched. Checks run in a fixed order: bounds
 * ({@link AbiError#OUT_OF_BOUNDS}), then size caps ({@link AbiError#TOO_LARGE}), then content
 * ({@link AbiError#INVALID_UTF8}, {@link AbiError#BAD_ARGUMENT}).
 *
 * <p>The view is cached and fetched again only when an access falls outside it, because memory may
 * have grown since (a stale view is smaller, never wrong inside its bounds). Not thread-safe: one
 * instance per guest instance, used on that instance's thread.
 */
public final class GuestMemory {
    private final Supplier<ByteBuffer> source;
    private ByteBuffer view;

    /** @param source fetches the current memory view (e.g. the binding's {@code Memory.buffer(store)}) */
    public GuestMemory(Supplier<ByteBuffer> source) {
        this.source = source;
    }

    public byte[] readBytes(int ptr, int len, int maxLen, String what) {
        ByteBuffer mem = checkedView(ptr, len, what);
        if (Integer.toUnsignedLong(len) > maxLen) {
            throw new AbiException(AbiError.TOO_LARGE, what + " is " + Integer.toUnsignedString(len) + " bytes, limit " + maxLen);
        }
        byte[] out = new byte[len];
        mem.get(ptr, out);
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
        if (key.chars().anyMatch(Character::isISOControl)) {
            throw new AbiException(AbiError.BAD_ARGUMENT, "key contains a control character");
        }
        return key;
    }

    /**
     * Writes a result into the guest's buffer {@code (ptr, cap)} if it fits, and returns its full
     * length either way: a result longer than {@code cap} is not written at all (never truncated),
     * so the guest can retry with a buffer of the returned size.
     */
    public int writeResult(int ptr, int cap, byte[] data) {
        ByteBuffer mem = checkedView(ptr, cap, "result buffer");
        if (Integer.toUnsignedLong(data.length) <= Integer.toUnsignedLong(cap)) {
            mem.put(ptr, data);
        }
        return data.length;
    }

    /** Checks that {@code (ptr, len)} lies inside guest memory, e.g. a result buffer before state changes. */
    public void checkRange(int ptr, int len, String what) {
        checkedView(ptr, len, what);
    }

    public void writeI64(int ptr, long value) {
        checkedView(ptr, Long.BYTES, "i64 result").putLong(ptr, value);
    }

    public void writeI32(int ptr, int value) {
        checkedView(ptr, Integer.BYTES, "i32 result").putInt(ptr, value);
    }

    public int readI32(int ptr) {
        return checkedView(ptr, Integer.BYTES, "i32 argument").getInt(ptr);
    }

    /** Copies {@code len} bytes of {@code src} from {@code offset} into guest memory at {@code ptr}. */
    public void writeBytes(int ptr, byte[] src, int offset, int len) {
        checkedView(ptr, len, "buffer").put(ptr, src, offset, len);
    }

    /** Copies guest memory {@code (ptr, len)} into {@code dst} at {@code offset}. */
    public void readInto(int ptr, int len, byte[] dst, int offset) {
        checkedView(ptr, len, "buffer").get(ptr, dst, offset, len);
    }

    private ByteBuffer checkedView(int ptr, int len, String what) {
        long end = Integer.toUnsignedLong(ptr) + Integer.toUnsignedLong(len);
        if (view == null || end > view.capacity()) {
            view = source.get().order(ByteOrder.LITTLE_ENDIAN);
        }
        if (end > view.capacity()) {
            throw new AbiException(AbiError.OUT_OF_BOUNDS, what + " [" + Integer.toUnsignedString(ptr) + ", +"
                    + Integer.toUnsignedString(len) + ") is outside guest memory of " + view.capacity() + " bytes");
        }
        return view;
    }

    static String decodeUtf8(byte[] bytes, String what) {
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
