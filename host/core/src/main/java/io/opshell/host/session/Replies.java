package io.opshell.host.session;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Everything a session tells its operator, shaped by the {@link OutputMode}: a shell's answers to
 * input lines, its chrome (greeting, prompts), the host's own answers and notices. Collected per
 * round and handed to the connection in one write ({@link #take()}). Where to change how a mode
 * looks: {@link #answer}, {@link #chrome} and {@link #notice}.
 */
final class Replies {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    private OutputMode mode = OutputMode.INTERACTIVE;
    /** The shell's prompt as last printed (the chrome after its last line), to print again after host output. */
    private String prompt = "";
    /**
     * Whether the host answered a line and the operator has not seen a prompt since: it is printed
     * before the next output, or at the end of the round, as the shell would after its own answers.
     */
    private boolean promptOwed;
    /** Set when the session is ending: no more prompts. */
    private boolean closing;
    /** Whether the operator's terminal is at the start of a line (for messages that arrive unasked). */
    private boolean atLineStart = true;

    OutputMode mode() {
        return mode;
    }

    void mode(OutputMode mode) {
        this.mode = mode;
    }

    /** A shell's answer to one input line ({@code input} null when it answers no line, e.g. at end of input). */
    void answer(String input, byte[] b, int from, int to, boolean ok, boolean more) {
        payPrompt();
        switch (mode) {
            case INTERACTIVE -> TerminalText.escape(b, from, to, out);
            case PLAIN -> {
                if (input == null && isBlank(b, from, to)) {
                    return; // output at end of input that says nothing is no answer
                }
                out.write(b, from, to - from);
                if (to > from && b[to - 1] != '\n') {
                    out.write('\n');
                }
            }
            case JSON -> {
                if (to > from && b[to - 1] == '\n') {
                    to--;
                }
                if (input != null || to > from) { // output at end of input that says nothing is no answer
                    json(input, ok, more, new String(b, from, to - from, StandardCharsets.UTF_8));
                }
            }
        }
    }

    /**
     * Output of a shell that does not mark its answers (no shared buffers): shown as it came in
     * interactive and plain modes, one object for all of {@code input}'s lines in json.
     */
    void unmarked(String input, byte[] b, int from, int to) {
        payPrompt();
        switch (mode) {
            case INTERACTIVE -> TerminalText.escape(b, from, to, out);
            case PLAIN -> out.write(b, from, to - from);
            case JSON -> {
                if (input != null || to > from) {
                    json(input, true, false, new String(b, from, to - from, StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** Shell output that answers no line: greeting and prompts. Only an interactive operator sees it. */
    void chrome(byte[] b, int from, int to) {
        if (from >= to) {
            return;
        }
        payPrompt();
        if (mode == OutputMode.INTERACTIVE) {
            TerminalText.escape(b, from, to, out);
        }
        int lastNewline = -1;
        for (int i = to - 1; i >= from; i--) {
            if (b[i] == '\n') {
                lastNewline = i;
                break;
            }
        }
        prompt = new String(b, lastNewline < 0 ? from : lastNewline + 1, to - (lastNewline < 0 ? from : lastNewline + 1),
                StandardCharsets.UTF_8);
    }

    /** The host's answer to one input line (a host command, a refused line). */
    void hostAnswer(String input, String text, boolean ok) {
        payPrompt();
        if (mode == OutputMode.JSON) {
            json(input, ok, false, text);
        } else if (!text.isEmpty()) {
            line(text);
        }
        promptOwed = true;
    }

    /**
     * The shell in use changed ({@code input} the host command that changed it, or null when the
     * shell closed and the session went back to its first one): in json mode the object names the
     * shell now in use, so a client can follow.
     */
    void shellChanged(String input, String text, String shell) {
        payPrompt();
        switch (mode) {
            case JSON -> json(input, true, false, text, shell);
            case PLAIN -> {
                if (input != null) {
                    line(text);
                }
            }
            case INTERACTIVE -> line(text);
        }
        promptOwed = input != null;
    }

    /** Lines that did not run, each answered with {@code error: <why>}, summed up as one line outside json. */
    void notRun(List<String> inputs, String what, String why) {
        if (inputs.isEmpty()) {
            return;
        }
        payPrompt();
        promptOwed = true;
        if (mode == OutputMode.JSON) {
            for (String input : inputs) {
                json(input, false, false, "error: " + what + ": " + why);
            }
        } else {
            line("error: " + inputs.size() + (inputs.size() == 1 ? " line " : " lines ") + what + ": " + why);
        }
    }

    /**
     * A host message that answers no line: an error (shown in every mode) or information (shown
     * to an interactive operator only).
     */
    void notice(String text, boolean error) {
        switch (mode) {
            case INTERACTIVE -> line(text);
            case PLAIN -> {
                if (error) {
                    line(text);
                }
            }
            case JSON -> {
                if (error) {
                    json(null, false, false, text);
                }
            }
        }
    }

    /**
     * A message the operator did not ask for (the session is ending): in interactive mode it
     * starts on a line of its own, also when the prompt was the last thing shown.
     */
    void unasked(String text) {
        promptOwed = false;
        if (mode == OutputMode.INTERACTIVE && !atLineStart && out.size() == 0) {
            out.write('\n');
        }
        notice(text, true);
    }

    /** Ends a round of output: an operator whose last line came from the host gets the prompt again. */
    void endRound() {
        payPrompt();
    }

    /** The session is ending: what follows needs no prompt. */
    void closing() {
        closing = true;
        promptOwed = false;
    }

    private void payPrompt() {
        if (promptOwed && !closing && mode == OutputMode.INTERACTIVE && !prompt.isEmpty()) {
            byte[] p = prompt.getBytes(StandardCharsets.UTF_8);
            TerminalText.escape(p, 0, p.length, out);
        }
        promptOwed = false;
    }

    /** Forgets the prompt (the shell that printed it is gone). */
    void forgetPrompt() {
        prompt = "";
        promptOwed = false;
    }

    boolean isEmpty() {
        return out.size() == 0;
    }

    /** What was collected since the last call, and starts afresh. */
    byte[] take() {
        byte[] b = out.toByteArray();
        out.reset();
        if (b.length > 0) {
            atLineStart = b[b.length - 1] == '\n';
        }
        return b;
    }

    private static boolean isBlank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != '\n' && b[i] != ' ' && b[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    private void line(String text) {
        byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
        if (mode == OutputMode.INTERACTIVE) {
            TerminalText.escape(b, 0, b.length, out);
        } else {
            out.write(b, 0, b.length);
        }
    }

    private void json(String input, boolean ok, boolean more, String output) {
        json(input, ok, more, output, null);
    }

    private void json(String input, boolean ok, boolean more, String output, String shell) {
        StringBuilder s = new StringBuilder(output.length() + 48).append('{');
        if (input != null) {
            s.append("\"input\":");
            Json.quote(input, s);
            s.append(',');
        }
        s.append("\"ok\":").append(ok);
        if (more) {
            s.append(",\"more\":true");
        }
        s.append(",\"output\":");
        Json.quote(output, s);
        if (shell != null) {
            s.append(",\"shell\":");
            Json.quote(shell, s);
        }
        s.append("}\n");
        byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }
}
