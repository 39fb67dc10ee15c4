package io.opshell.host.session;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts the operator's byte stream into whole lines, however it arrives: a line split across reads
 * is held until its newline, so nothing downstream (rate limits, host commands, the shell) ever
 * sees half a line. A line longer than the limit is not kept: it comes out as {@link Line#tooLong}
 * once its newline arrives. Remembers since when a partial line has been waiting, for the line
 * timeout.
 */
final class InputLines {
    /**
     * One input line: its bytes including the newline (none for the last line at end of input); of
     * a line too long to keep, only its first {@link #HEAD_BYTES} bytes, to name it in the error.
     */
    record Line(byte[] bytes, long length, boolean tooLong) {
        /** The text without its line terminator, for host commands and json answers. */
        String text() {
            int end = bytes.length;
            if (end > 0 && bytes[end - 1] == '\n') {
                end--;
            }
            if (end > 0 && bytes[end - 1] == '\r') {
                end--;
            }
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        }

        boolean isHostCommand() {
            return bytes.length > 0 && bytes[0] == '\\';
        }
    }

    /** What is kept of a line too long to run, to tell the operator which one it was. */
    static final int HEAD_BYTES = 40;

    private final int maxLineBytes;
    /** The start of the line being dropped, once it passed the limit. */
    private byte[] head = new byte[0];
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private long partialLength;
    private long partialSinceNanos;

    InputLines(int maxLineBytes) {
        this.maxLineBytes = maxLineBytes;
    }

    /** The lines {@code buf[0, n)} completes, in order. */
    List<Line> add(byte[] buf, int n, long nowNanos) {
        List<Line> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                lines.add(take(buf, start, i + 1));
                start = i + 1;
            }
        }
        if (start < n) {
            if (partialLength == 0) {
                partialSinceNanos = nowNanos;
            }
            keep(buf, start, n);
        }
        return lines;
    }

    /** At end of input: the last line if it had no newline, else null. */
    Line finish() {
        return partialLength == 0 ? null : take(new byte[0], 0, 0);
    }

    boolean hasPartial() {
        return partialLength > 0;
    }

    /** When the waiting partial line began (System.nanoTime); meaningful only while {@link #hasPartial()}. */
    long partialSinceNanos() {
        return partialSinceNanos;
    }

    private void keep(byte[] buf, int from, int to) {
        long before = partialLength;
        partialLength += to - from;
        if (partialLength <= maxLineBytes) {
            partial.write(buf, from, to - from);
        } else if (before <= maxLineBytes) {
            // It just passed the limit: keep only its first bytes, to name it, and its length.
            partial.write(buf, from, Math.min(to - from, HEAD_BYTES));
            head = firstBytes(partial.toByteArray(), 0, partial.size());
            partial.reset();
        }
    }

    private static byte[] firstBytes(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, from + Math.min(HEAD_BYTES, to - from));
    }

    private Line take(byte[] buf, int from, int to) {
        long length = partialLength + (to - from);
        Line line;
        if (length > maxLineBytes + 1) { // + 1: the newline does not count against the limit
            byte[] first = head.length > 0 ? head
                    : partial.size() > 0 ? firstBytes(partial.toByteArray(), 0, partial.size()) : firstBytes(buf, from, to);
            line = new Line(first, length, true);
            head = new byte[0];
        } else if (partialLength == 0) {
            line = new Line(java.util.Arrays.copyOfRange(buf, from, to), length, false);
        } else {
            partial.write(buf, from, to - from);
            line = new Line(partial.toByteArray(), length, false);
        }
        partial.reset();
        partialLength = 0;
        return line;
    }
}
