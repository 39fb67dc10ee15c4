package io.opshell.client;

/**
 * Makes text safe to print on an operator's terminal: an answer may carry another operator's data
 * (a value, a key, a Scheme string), and raw control sequences in it could clear the screen, set
 * the window title or fake a prompt. Escaped as the server's interactive mode does: C0 controls
 * except tab and newline, and DEL, as {@code \x1b}; C1 controls and the bidirectional overrides
 * and isolates U+202A–U+202E, U+2066–U+2069 as {@code \u202e}. Everything else passes unchanged.
 * Escaping a JSON line this way keeps it valid JSON with the same meaning (JSON has no raw C0).
 */
final class TerminalText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TerminalText() {}

    static String escape(String s) {
        int i = 0;
        while (i < s.length() && !unsafe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s; // the common case: nothing to do, no copy
        }
        StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!unsafe(c)) {
                out.append(c);
            } else if (c < 0x80) {
                out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                out.append("\\u").append(HEX[c >> 12]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    private static boolean unsafe(char c) {
        return c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f || c >= 0x202a && c <= 0x202e
                || c >= 0x2066 && c <= 0x2069;
    }
}
