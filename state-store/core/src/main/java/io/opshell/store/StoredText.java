package io.opshell.store;

import java.util.Comparator;
import java.util.Optional;

/**
 * How every store measures and orders text, so that all backends agree: sizes are UTF-8 bytes
 * (what quotas count), and keys sort in Unicode code point order, which is the order of their
 * UTF-8 bytes (what SQLite's BINARY collation and Redis's ZRANGEBYLEX use). Java's own
 * {@link String#compareTo} orders UTF-16 code units instead, which differs for characters above
 * U+FFFF against U+E000..U+FFFF, so the in-memory store sorts with {@link #ORDER}.
 */
public final class StoredText {
    private StoredText() {}

    /** Keys in code point (= UTF-8 byte) order. */
    public static final Comparator<String> ORDER = StoredText::compare;

    /** Code point order of {@code a} and {@code b}. */
    public static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                // Only where a surrogate meets a char at or above U+E000 does UTF-16 order differ:
                // surrogates stand for code points above every BMP char.
                boolean xs = Character.isSurrogate(x);
                boolean ys = Character.isSurrogate(y);
                if (xs != ys) {
                    return xs ? 1 : -1;
                }
                return Character.compare(x, y);
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    /** The UTF-8 length of {@code s}, without encoding it (quota checks run on every write). */
    public static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * The least string greater than every string that starts with {@code prefix}: the prefix with
     * its last code point incremented (dropping trailing U+10FFFF). Then "starts with prefix" is
     * exactly {@code prefix <= key < bound}, a range an ordered index answers without a scan and
     * without LIKE and its {@code %}/{@code _} wildcards. Empty when no bound exists (the prefix
     * is empty or all U+10FFFF).
     */
    public static Optional<String> prefixUpperBound(String prefix) {
        int end = prefix.length();
        while (end > 0) {
            int cp = prefix.codePointBefore(end);
            int start = end - Character.charCount(cp);
            if (cp < Character.MAX_CODE_POINT) {
                int next = cp + 1;
                if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
                    next = Character.MAX_SURROGATE + 1; // surrogates are not characters; skip to U+E000
                }
                return Optional.of(prefix.substring(0, start) + Character.toString(next));
            }
            end = start;
        }
        return Optional.empty();
    }
}
