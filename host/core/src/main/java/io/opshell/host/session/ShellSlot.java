package io.opshell.host.session;

import io.opshell.abi.Abi;
import io.opshell.host.SessionLimits;
import io.opshell.host.StateAccess;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.host.wasm.GuestStdio;
import io.opshell.host.wasm.ShellFault;
import io.opshell.host.wasm.ShellInstance;
import io.opshell.host.wasm.ShellModule;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shell a session runs: starting it, running whole input lines through it and turning what
 * it printed into {@link Replies} (each line's answer by the shell's marks), and what happens when
 * it fails: a line it did not answer is reported, never dropped silently; a fault replaces the
 * instance. Where to change what an operator reads about a fault: {@link #run}.
 */
final class ShellSlot implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ShellSlot.class);

    /** What became of the shell after a run. */
    enum Outcome {
        /** It waits for more input. */
        CONTINUE,
        /** It closed itself ({@code quit}, {@code (exit)}) or ended with the input. */
        CLOSED,
        /** It could not be started again after a fault; the session cannot go on. */
        BROKEN
    }

    /** How a run ended, and the lines it gave the shell that the shell closed before running. */
    record Result(Outcome outcome, List<InputLines.Line> leftover) {
        static final Result CONTINUE = new Result(Outcome.CONTINUE, List.of());
        static final Result BROKEN = new Result(Outcome.BROKEN, List.of());
        static final Result CLOSED = new Result(Outcome.CLOSED, List.of());
    }

    /** Why lines interrupted before their turn did not run. */
    private static final String INTERRUPTED_BEFORE_RUN = "interrupted by the operator before they ran";

    private final SessionContext context;
    private final StateAccess access;
    private final SessionLimits limits;
    private final OpshellMetrics metrics;
    private final GuestStdio stdio;
    private ShellModule module;
    private volatile ShellInstance shell;
    private String lastFault;

    ShellSlot(SessionContext context, StateAccess access, SessionLimits limits, OpshellMetrics metrics) {
        this.context = context;
        this.access = access;
        this.limits = limits;
        this.metrics = metrics;
        this.stdio = new GuestStdio(limits.maxPendingInputBytes(), limits.maxOutputBytesPerStep());
    }

    ShellModule module() {
        return module;
    }

    /** Why the last start failed, for the close record. */
    String lastFault() {
        return lastFault;
    }

    /** Starts a fresh instance of {@code next} (closing any current one); its greeting goes to {@code replies}. */
    boolean start(ShellModule next, Replies replies) {
        close();
        stdio.discardInput();
        module = next;
        context.shellName(next.name());
        replies.forgetPrompt();
        try {
            shell = next.newInstance(stdio, access, limits.stepDeadline(), limits.maxMemoryBytes());
            shell.init();
            render(List.of(), replies);
            return true;
        } catch (ShellFault fault) {
            metrics.trapped();
            close();
            stdio.clearOutput();
            lastFault = fault.getMessage();
            replies.notice("error: the shell failed to start: " + fault.getMessage(), true);
            return false;
        }
    }

    /**
     * Runs {@code lines} (whole lines, arrived at {@code arrivalNanos}, System.nanoTime) through
     * the shell; with {@code endOfInput} the operator's input ends after them. Every line ends up
     * answered: by the shell, or by the host saying it did not run and why. Lines the operator
     * interrupted before they could run (held back by the input rate limit) do not run.
     */
    Result run(List<InputLines.Line> lines, boolean endOfInput, long arrivalNanos, Replies replies) {
        if (shell == null) {
            return Result.BROKEN;
        }
        if (!lines.isEmpty() && shell.interruptedSince(arrivalNanos)) {
            replies.notRun(texts(lines), "not run", INTERRUPTED_BEFORE_RUN);
            if (!endOfInput) {
                return Result.CONTINUE;
            }
            lines = List.of(); // the shell still learns that the input ended
        }
        for (InputLines.Line line : lines) {
            stdio.receive(line.bytes(), 0, line.bytes().length);
        }
        if (endOfInput) {
            stdio.markEndOfInput();
        }
        context.commandsRun(lines.size());
        int control;
        long started = System.nanoTime();
        try {
            control = shell.step(arrivalNanos);
            metrics.stepTook(System.nanoTime() - started);
        } catch (ShellFault fault) {
            metrics.stepTook(System.nanoTime() - started);
            metrics.trapped();
            log.info("shell {}: {}", module.name(), fault.getMessage());
            int answered = render(lines, replies);
            close();
            stdio.discardInput();
            boolean restart = !endOfInput;
            String message = "error: " + fault.getMessage() + (restart ? "; starting a fresh shell (its definitions are lost)" : "");
            if (answered < lines.size()) {
                replies.hostAnswer(lines.get(answered).text(), message, false);
                replies.notRun(texts(lines.subList(answered + 1, lines.size())), "not run", "the shell failed before them");
            } else {
                replies.notice(message, true);
            }
            if (!restart) {
                lastFault = fault.getMessage();
                return Result.CLOSED;
            }
            return start(module, replies) ? Result.CONTINUE : Result.BROKEN;
        }
        int answered = render(lines, replies);
        boolean closed = control == Abi.STEP_CLOSE;
        if (shell.marksAnswers() && answered < lines.size()) {
            stdio.discardInput();
            List<InputLines.Line> rest = lines.subList(answered, lines.size());
            if (closed) {
                return new Result(Outcome.CLOSED, List.copyOf(rest));
            }
            replies.notRun(texts(rest), "not run", "the step before them was interrupted");
        }
        return closed ? Result.CLOSED : Result.CONTINUE;
    }

    /** Asks the running step to stop at its next poll (the operator's Ctrl-C); false when no shell runs. */
    boolean interrupt(String reason) {
        ShellInstance s = shell;
        if (s == null) {
            return false;
        }
        s.requestInterrupt(ShellInstance.INTERRUPT_OPERATOR, reason);
        return true;
    }

    /**
     * Hands what the shell printed to {@code replies}: with marks, each line's answer apart from
     * the chrome around it; without, all of it as it came. Returns how many of {@code lines} the
     * shell answered.
     */
    private int render(List<InputLines.Line> lines, Replies replies) {
        byte[] out = stdio.outputBytes();
        int len = stdio.outputLength();
        long dropped = stdio.outputDropped();
        int answered;
        if (shell != null && !shell.marksAnswers()) {
            replies.unmarked(lines.isEmpty() ? null : String.join("\n", texts(lines)), out, 0, len);
            answered = lines.size();
        } else {
            int pos = 0;
            int i = 0;
            for (GuestStdio.Mark m : stdio.marks()) {
                int start = Math.max(pos, m.start());
                int end = Math.max(start, m.end());
                replies.chrome(out, pos, start);
                String input = i < lines.size() ? lines.get(i).text() : null;
                replies.answer(input, out, start, end, m.status() != Abi.MARK_ERROR, m.status() == Abi.MARK_MORE);
                pos = end;
                i++;
            }
            replies.chrome(out, pos, len);
            answered = Math.min(i, lines.size());
        }
        stdio.clearOutput();
        if (dropped > 0) {
            replies.notice("error: output cut after " + stdio.outputCapacity() + " bytes (the per-step limit); " + dropped
                    + " bytes dropped", true);
        }
        return answered;
    }

    private static List<String> texts(List<InputLines.Line> lines) {
        return lines.stream().map(InputLines.Line::text).toList();
    }

    @Override
    public void close() {
        ShellInstance s = shell;
        shell = null;
        if (s != null) {
            s.close();
        }
    }
}
