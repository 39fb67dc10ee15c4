package io.opshell.host.wasm;

import io.opshell.abi.GuestMemory;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The guest's stdin and stdout for one session: input received from the operator and not yet
 * read by the shell, and output the shell wrote during the current step with the shell's answer
 * marks (ABI.md, "Answer marks") translated to positions in that output. Both buffers are capped,
 * so no input or output can grow host memory beyond the configured bounds; both start small and
 * grow on demand (an idle session costs kilobytes, not its limits), and shrink back after a burst.
 */
public final class GuestStdio {
    /** One input line's answer: bytes {@code [start, end)} of this step's output, and its status. */
    public record Mark(int start, int end, int status) {}

    /** Starting (and resting) size of each buffer. */
    static final int INITIAL_BYTES = 4 * 1024;
    /** A buffer grown past this is dropped back to {@link #INITIAL_BYTES} once it is empty. */
    static final int KEEP_BYTES = 64 * 1024;

    private final int inputCapacity;
    private byte[] input;
    private int inStart;
    private int inEnd;
    private boolean endOfInput;

    private final int outputCapacity;
    private byte[] output;
    private int outLen;
    private long outDropped;
    /** Output bytes (kept and dropped) before the current guest call: where its mark offsets start. */
    private long callStart;
    private final java.util.List<Mark> marks = new java.util.ArrayList<>();

    public GuestStdio(int inputCapacity, int outputCapacity) {
        this.inputCapacity = inputCapacity;
        this.outputCapacity = outputCapacity;
        input = new byte[Math.min(INITIAL_BYTES, inputCapacity)];
        output = new byte[Math.min(INITIAL_BYTES, outputCapacity)];
    }

    /** Room for more input; 0 means the shell is not reading what it was given. */
    public int inputFree() {
        return inputCapacity - inputReady();
    }

    public void receive(byte[] src, int off, int len) {
        if (len > inputFree()) {
            throw new IllegalStateException("input buffer overrun: " + len + " bytes offered, " + inputFree() + " free");
        }
        compact();
        if (inEnd + len > input.length) {
            input = Arrays.copyOf(input, grownSize(input.length, inEnd + len, inputCapacity));
        }
        System.arraycopy(src, off, input, inEnd, len);
        inEnd += len;
    }

    public int inputReady() {
        return inEnd - inStart;
    }

    public void markEndOfInput() {
        endOfInput = true;
    }

    public boolean endOfInput() {
        return endOfInput;
    }

    /**
     * How many of the unread input bytes to give one guest call: at most {@code maxBytes}, ending
     * at a line end when one fits, and holding at most {@code maxLines} complete lines.
     */
    int bytesForCall(int maxBytes, int maxLines) {
        int window = Math.min(maxBytes, inputReady());
        int lines = 0;
        int lastLineEnd = -1;
        for (int i = 0; i < window; i++) {
            if (input[inStart + i] == '\n') {
                lastLineEnd = i + 1;
                if (++lines == maxLines) {
                    break;
                }
            }
        }
        return lastLineEnd > 0 && (lastLineEnd < window || lines == maxLines) ? lastLineEnd : window;
    }

    /** Complete lines (newlines) among the next {@code n} unread input bytes. */
    int linesIn(int n) {
        int lines = 0;
        for (int i = inStart; i < inStart + n; i++) {
            if (input[i] == '\n') {
                lines++;
            }
        }
        return lines;
    }

    /** Drops unread input (after the shell that was to read it was replaced). */
    public void discardInput() {
        inStart = inEnd = 0;
        compact();
    }

    private void compact() {
        if (inStart == inEnd) {
            inStart = inEnd = 0;
            if (input.length > KEEP_BYTES) {
                input = new byte[INITIAL_BYTES];
            }
        } else if (inStart > 0) {
            System.arraycopy(input, inStart, input, 0, inEnd - inStart);
            inEnd -= inStart;
            inStart = 0;
        }
    }

    /** Copies up to {@code len} unread input bytes into guest memory; returns how many. */
    int readInto(GuestMemory mem, int ptr, int len) {
        int n = (int) Math.min(Integer.toUnsignedLong(len), inputReady());
        mem.writeBytes(ptr, input, inStart, n);
        inStart += n;
        return n;
    }

    /** Appends guest memory {@code (ptr, len)} to this step's output; bytes beyond the cap are counted and dropped. */
    void write(GuestMemory mem, int ptr, int len) {
        long want = Integer.toUnsignedLong(len);
        int n = (int) Math.min(want, outputCapacity - outLen);
        if (outLen + n > output.length) {
            output = Arrays.copyOf(output, grownSize(output.length, outLen + n, outputCapacity));
        }
        mem.readInto(ptr, n, output, outLen);
        outLen += n;
        outDropped += want - n;
    }

    /** Called before every guest call: the shell's mark offsets count from here. */
    void beginCall() {
        callStart = outLen + outDropped;
    }

    /** Records a mark the shell made during the current call, offsets relative to the call's output. */
    void mark(int relStart, int relEnd, int status) {
        marks.add(new Mark(position(relStart), position(relEnd), status));
    }

    /** The output position of a byte the shell numbered {@code rel} in this call; dropped bytes map to the end. */
    private int position(int rel) {
        long virtual = callStart + Integer.toUnsignedLong(rel);
        return (int) Math.min(virtual, outLen);
    }

    /** This step's marks, in order. */
    public java.util.List<Mark> marks() {
        return marks;
    }

    /** This step's output so far: bytes {@code [0, outputLength())} of this array (valid until the next write). */
    public byte[] outputBytes() {
        return output;
    }

    public int outputLength() {
        return outLen;
    }

    /** Forgets this step's output and marks (after they were sent). */
    public void clearOutput() {
        outLen = 0;
        outDropped = 0;
        callStart = 0;
        marks.clear();
        if (output.length > KEEP_BYTES) {
            output = new byte[INITIAL_BYTES];
        }
    }

    /** Bytes of output dropped this step because of the cap. */
    public long outputDropped() {
        return outDropped;
    }

    public int outputCapacity() {
        return outputCapacity;
    }

    /** Sends this step's output as it is and starts the next step's empty. */
    public void flushOutput(OutputStream out) throws IOException {
        if (outLen > 0) {
            out.write(output, 0, outLen);
        }
        clearOutput();
    }

    /** Doubling growth to hold {@code needed} bytes, never past {@code cap}. */
    private static int grownSize(int current, int needed, int cap) {
        long size = Math.max(current, 1);
        while (size < needed) {
            size *= 2;
        }
        return (int) Math.min(size, cap);
    }
}
