package io.opshell.host.session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Splits the operator's input into bytes for the shell and host commands: a line that starts
 * with a backslash ({@code \shell scheme}) is for the host, everything else goes to the shell
 * untouched. Keeps its line state across chunks, so a command may arrive in pieces.
 */
final class InputRouter {
    /** Longest host command line; the rest of a longer one is dropped and reported. */
    static final int MAX_COMMAND_BYTES = 1024;

    interface Sink {
        /** Bytes for the shell; returns false when the session should end. */
        boolean shellInput(byte[] buf, int off, int len) throws IOException;

        /**
         * A complete host command line without its backslash and line terminator, or null when the
         * line was longer than {@link #MAX_COMMAND_BYTES}; false ends the session.
         */
        boolean hostCommand(String command) throws IOException;
    }

    private boolean atLineStart = true;
    private boolean inCommand;
    private boolean commandTooLong;
    private final ByteArrayOutputStream command = new ByteArrayOutputStream();

    /** Routes {@code buf[0, len)}; returns false as soon as a sink asks to end the session. */
    boolean route(byte[] buf, int len, Sink sink) throws IOException {
        int segmentStart = 0;
        for (int i = 0; i < len; i++) {
            byte b = buf[i];
            if (inCommand) {
                if (b == '\n') {
                    inCommand = false;
                    atLineStart = true;
                    segmentStart = i + 1;
                    if (!sink.hostCommand(takeCommand())) {
                        return false;
                    }
                } else if (command.size() < MAX_COMMAND_BYTES) {
                    command.write(b);
                } else {
                    commandTooLong = true;
                }
            } else if (atLineStart && b == '\\') {
                if (i > segmentStart && !sink.shellInput(buf, segmentStart, i - segmentStart)) {
                    return false;
                }
                inCommand = true;
            } else {
                atLineStart = b == '\n';
            }
        }
        if (!inCommand && len > segmentStart) {
            return sink.shellInput(buf, segmentStart, len - segmentStart);
        }
        return true;
    }

    /** At end of input: a host command without a final newline still runs. */
    boolean finish(Sink sink) throws IOException {
        if (inCommand) {
            inCommand = false;
            return sink.hostCommand(takeCommand());
        }
        return true;
    }

    private String takeCommand() {
        String text = command.toString(StandardCharsets.UTF_8);
        command.reset();
        if (commandTooLong) {
            commandTooLong = false;
            return null;
        }
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }
}
