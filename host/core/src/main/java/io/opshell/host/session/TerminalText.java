package io.opshell.host.session;

import java.io.ByteArrayOutputStream;

/**
 * Makes bytes safe for an operator's terminal: what a shell prints may carry another operator's
 * data (a value, a key, a Scheme string), and raw control sequences in it could clear the screen,
 * set the window title or fake a prompt. Escaped: C0 controls except tab and newline (as
 * {@code \x1b}), DEL, C1 controls and the bidirectional overrides and isolates U+202A–U+202E,
 * U+2066–U+2069 (as {@code \u202e}), and bytes that are not UTF-8 (as {@code \xNN}: a stray 0x9B
 * is CSI to an 8-bit terminal). Everything else passes unchanged, in one copy only when needed.
 */
final class TerminalText {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private TerminalText() {}

    /** Appends {@code src[from, to)} to {@code out}, escaped. */
    static void escape(byte[] src, int from, int to, ByteArrayOutputStream out) {
        int clean = from; // start of the run of bytes that pass unchanged
        int i = from;
        while (i < to) {
            int b = src[i] & 0xff;
            if (b >= 0x20 && b < 0x7f || b == '\n' || b == '\t') {
                i++;
                continue;
            }
            int len = b >= 0x80 ? sequenceLength(src, i, to) : 0;
            if (len > 0 && !unsafeCodePoint(decode(src, i, len))) {
                i += len;
                continue;
            }
            out.write(src, clean, i - clean);
            if (len > 0) {
                escapeCodePoint(decode(src, i, len), out);
                i += len;
            } else {
                escapeByte(b, out);
                i++;
            }
            clean = i;
        }
        out.write(src, clean, to - clean);
    }

    /** True when nothing in {@code src[from, to)} needs escaping (the common case: no copy). */
    static boolean isClean(byte[] src, int from, int to) {
        for (int i = from; i < to; i++) {
            int b = src[i] & 0xff;
            if (!(b >= 0x20 && b < 0x7f || b == '\n' || b == '\t')) {
                return false;
            }
        }
        return true;
    }

    private static boolean unsafeCodePoint(int cp) {
        return cp >= 0x80 && cp <= 0x9f || cp >= 0x202a && cp <= 0x202e || cp >= 0x2066 && cp <= 0x2069;
    }

    /** Length of the well-formed UTF-8 sequence at {@code i}, or 0 if it is not one. */
    private static int sequenceLength(byte[] s, int i, int to) {
        int b = s[i] & 0xff;
        int len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
        if (len == 0 || i + len > to) {
            return 0;
        }
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
        }
        int cp = decode(s, i, len);
        boolean overlong = len == 3 && cp < 0x800 || len == 4 && (cp < 0x10000 || cp > 0x10ffff);
        boolean surrogate = cp >= 0xd800 && cp <= 0xdfff;
        return overlong || surrogate ? 0 : len;
    }

    private static int decode(byte[] s, int i, int len) {
        int cp = s[i] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
        for (int k = 1; k < len; k++) {
            cp = cp << 6 | s[i + k] & 0x3f;
        }
        return cp;
    }

    private static void escapeByte(int b, ByteArrayOutputStream out) {
        out.write('\\');
        out.write('x');
        out.write(HEX[b >> 4]);
        out.write(HEX[b & 0xf]);
    }

    private static void escapeCodePoint(int cp, ByteArrayOutputStream out) {
        out.write('\\');
        out.write('u');
        for (int shift = 12; shift >= 0; shift -= 4) {
            out.write(HEX[cp >> shift & 0xf]);
        }
    }
}
