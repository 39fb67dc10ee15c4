package io.opshell.client;

import java.util.HashMap;
import java.util.Map;

/**
 * The JSON the client reads and writes: the server's json mode sends one flat object per line
 * ({@code {"input":…,"ok":…,"more":…,"output":…}}), and the client writes objects of the same
 * shape for lines it answers itself. Only that much JSON: an object's string, boolean, number and
 * null members are read, nested values are skipped. Written by hand to keep the client's classpath
 * to JLine alone (it starts on every connect). Where to change: a new member the client must read
 * needs nothing here, only in {@link Answer#parse}.
 */
final class JsonLine {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String s;
    private int pos;

    private JsonLine(String s) {
        this.s = s;
    }

    /** The members of the object on {@code line}: String, Boolean, Double or null values (nested ones are left out). */
    static Map<String, Object> parseObject(String line) throws MalformedException {
        JsonLine p = new JsonLine(line);
        p.space();
        Map<String, Object> members = p.object(true);
        p.space();
        if (p.pos != line.length()) {
            throw p.error("text after the object");
        }
        return members;
    }

    /** Appends {@code s} as a JSON string, every control character escaped, so an object stays one line. */
    static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x2028 || c == 0x2029) {
                        out.append("\\u").append(HEX[c >> 12]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                                .append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** A line that is not the JSON the protocol promises. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    private Map<String, Object> object(boolean keep) throws MalformedException {
        expect('{');
        Map<String, Object> members = keep ? new HashMap<>() : null;
        space();
        if (peek() == '}') {
            pos++;
            return members;
        }
        while (true) {
            space();
            String name = string();
            space();
            expect(':');
            space();
            Object value = value();
            if (keep) {
                members.put(name, value);
            }
            space();
            char c = next();
            if (c == '}') {
                return members;
            }
            if (c != ',') {
                throw error("expected , or }");
            }
        }
    }

    private Object value() throws MalformedException {
        char c = peek();
        switch (c) {
            case '"' -> {
                return string();
            }
            case '{' -> {
                object(false);
                return null;
            }
            case '[' -> {
                array();
                return null;
            }
            case 't' -> {
                word("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                word("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                word("null");
                return null;
            }
            default -> {
                return number();
            }
        }
    }

    private void array() throws MalformedException {
        expect('[');
        space();
        if (peek() == ']') {
            pos++;
            return;
        }
        while (true) {
            space();
            value();
            space();
            char c = next();
            if (c == ']') {
                return;
            }
            if (c != ',') {
                throw error("expected , or ]");
            }
        }
    }

    private String string() throws MalformedException {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) {
                        throw error("short \\u escape");
                    }
                    try {
                        b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private Double number() throws MalformedException {
        int start = pos;
        while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
            pos++;
        }
        try {
            return Double.valueOf(s.substring(start, pos));
        } catch (NumberFormatException e) {
            pos = start;
            throw error("expected a value");
        }
    }

    private void word(String w) throws MalformedException {
        if (!s.startsWith(w, pos)) {
            throw error("expected " + w);
        }
        pos += w.length();
    }

    private void space() {
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == '\r' || s.charAt(pos) == '\n')) {
            pos++;
        }
    }

    private char peek() throws MalformedException {
        if (pos >= s.length()) {
            throw error("unexpected end of line");
        }
        return s.charAt(pos);
    }

    private char next() throws MalformedException {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) throws MalformedException {
        if (next() != c) {
            pos--;
            throw error("expected " + c);
        }
    }

    private MalformedException error(String what) {
        return new MalformedException(what + " at column " + (pos + 1));
    }
}
