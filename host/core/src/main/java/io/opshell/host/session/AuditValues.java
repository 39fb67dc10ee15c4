package io.opshell.host.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * How a value appears in an audit record: as the operator reads it, {@code null} when absent; a
 * value over {@link #MAX_BYTES} is cut there (on a character boundary) and recorded with its
 * length and SHA-256, so the record stays small yet still identifies the value.
 */
final class AuditValues {
    static final int MAX_BYTES = 1024;

    private AuditValues() {}

    /** Puts {@code name} (and, for a long value, {@code name_bytes} and {@code name_sha256}) into {@code record}. */
    static void put(Map<String, Object> record, String name, Optional<String> value) {
        if (value.isEmpty()) {
            record.put(name, null);
            return;
        }
        byte[] bytes = value.get().getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_BYTES) {
            record.put(name, value.get());
            return;
        }
        int end = MAX_BYTES;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        record.put(name, new String(bytes, 0, end, StandardCharsets.UTF_8));
        record.put(name + "_bytes", bytes.length);
        record.put(name + "_sha256", sha256(bytes));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
