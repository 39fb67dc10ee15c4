package io.opshell.host.wasm;

import io.opshell.abi.GuestMemory;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The guest's stdin and stdout for one session: input received from the operator and not yet
 * read by the shell, and output the shell wrote during the current step. Both are fixed-size,
 * so no input or output can grow host memory beyond the configured bounds.
 */
public final class GuestStdio {
    private final byte[] input;
    private int inStart;
    private int inEnd;
    private boolean endOfInput;

    private final byte[] output;
    private int outLen;
    private long outDropped;

    public GuestStdio(int inputCapacity, int outputCapacity) {
        input = new byte[inputCapacity];
        output = new byte[outputCapacity];
    }

    /** Room for more input; 0 means the shell is not reading what it was given. */
    public int inputFree() {
        compact();
        return input.length - inEnd;
    }

    public void receive(byte[] src, int off, int len) {
        compact();
        if (len > input.length - inEnd) {
            throw new IllegalStateException("input buffer overrun: " + len + " bytes offered, " + (input.length - inEnd) + " free");
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

    /** Drops unread input (after the shell that was to read it was replaced). */
    public void discardInput() {
        inStart = inEnd = 0;
    }

    private void compact() {
        if (inStart > 0) {
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
        int n = (int) Math.min(want, output.length - outLen);
        mem.readInto(ptr, n, output, outLen);
        outLen += n;
        outDropped += want - n;
    }

    /** Bytes of output dropped this step because of the cap. */
    public long outputDropped() {
        return outDropped;
    }

    public int outputCapacity() {
        return output.length;
    }

    /** Sends this step's output and starts the next step's empty. */
    public void flushOutput(OutputStream out) throws IOException {
        if (outLen > 0) {
            out.write(output, 0, outLen);
        }
        outLen = 0;
        outDropped = 0;
    }
}
