package io.opshell.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The lines a script gives the client, one at a time: its COMMAND arguments (an argument with
 * newlines in it, such as a Scheme definition, is that many lines), or its standard input, read
 * as it comes so that a long pipe is streamed rather than held. Lines are cut at {@code \n} only;
 * a last line without one still counts.
 */
abstract class ScriptLines {
    /** The next line without its newline, or null when there are no more. */
    abstract String next();

    /** Whether {@link #next} has a whole line at hand, without waiting for input. */
    abstract boolean ready();

    static ScriptLines of(List<String> commands) {
        Iterator<String> lines = commands.stream()
                .flatMap(c -> Arrays.stream((c.endsWith("\n") ? c.substring(0, c.length() - 1) : c).split("\n", -1)))
                .iterator();
        return new ScriptLines() {
            @Override
            String next() {
                return lines.hasNext() ? lines.next() : null;
            }

            @Override
            boolean ready() {
                return lines.hasNext();
            }
        };
    }

    static ScriptLines of(InputStream in) {
        return new ScriptLines() {
            private final byte[] buf = new byte[64 * 1024];
            private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            private int pos;
            private int len;
            private boolean eof;

            @Override
            boolean ready() {
                for (int i = pos; i < len; i++) {
                    if (buf[i] == '\n') {
                        return true;
                    }
                }
                return false;
            }

            @Override
            String next() {
                line.reset();
                while (true) {
                    for (; pos < len; pos++) {
                        if (buf[pos] == '\n') {
                            pos++;
                            return line.toString(StandardCharsets.UTF_8);
                        }
                        line.write(buf[pos]);
                    }
                    if (eof) {
                        return null;
                    }
                    try {
                        len = in.read(buf);
                    } catch (IOException e) {
                        throw new UncheckedIOException("error: reading standard input: " + e.getMessage(), e);
                    }
                    pos = 0;
                    if (len < 0) {
                        len = 0;
                        eof = true;
                        if (line.size() > 0) {
                            return line.toString(StandardCharsets.UTF_8);
                        }
                    }
                }
            }
        };
    }
}
