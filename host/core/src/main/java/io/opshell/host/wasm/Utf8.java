package io.opshell.host.wasm;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** UTF-8 helpers for text the host hands to a shell. */
final class Utf8 {
    private Utf8() {}

    /** The UTF-8 bytes of {@code text}, cut to at most {@code max} bytes at a character boundary. */
    static byte[] prefix(String text, int max) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= max) {
            return bytes;
        }
        int end = Math.max(0, max);
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--; // do not split a multi-byte character
        }
        return Arrays.copyOf(bytes, end);
    }
}
