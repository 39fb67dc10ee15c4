package io.opshell.client;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A script's run: its lines over one session, each answer printed as plain mode would print it
 * (or, with {@code --json}, the server's objects as received), and an exit status: 0 when every
 * answer succeeded, 1 when any was an error or was never given, 2 when there was no session.
 *
 * <p>Lines are pipelined: up to {@link #MAX_LINES_AHEAD} are sent before their answers come back,
 * so a thousand lines cost a few round trips, not a thousand; answers are paired with lines by
 * order ({@link OpshellSession}). The window shrinks to one line where sending ahead would
 * change what happens:
 * <ul>
 * <li>the server runs the lines one read brings in one shell step, under one CPU limit: fine for
 *     kv and echo lines (microseconds each), not for Scheme lines of unknown cost, so other shells
 *     get one line at a time;
 * <li>{@code --stop-on-error} must not have run anything after the failing line;
 * <li>a host command may switch the shell, so it waits for what is in flight and for its answer;
 * <li>the session's input rate limit: a burst of a second's worth passes and the rest is delayed up
 *     to 2 s before lines are dropped, so at most twice the rate is sent ahead (no drop by design).
 * </ul>
 * Where to change these rules: {@link #linesAhead}, {@link #bytesAhead}.
 */
final class BatchRun implements OpshellSession.Listener {
    static final int MAX_LINES_AHEAD = 64;
    static final int MAX_BYTES_AHEAD = 64 * 1024;
    /** Shells whose lines are cheap enough to share one step's CPU limit. */
    static final Set<String> PIPELINED_SHELLS = Set.of("kv", "echo");
    /** After the last answer, how long the server has to close the session before the client does. */
    static final long CLOSE_WAIT_SECONDS = 10;
    /** How long a feeder still reading its input may take to finish once the session has ended. */
    static final long FEED_GRACE_MILLIS = 200;

    private final PrintStream out;
    private final PrintStream err;
    private final boolean json;
    private final boolean stopOnError;
    private final boolean escapeOut;
    // Written by the session's reader thread (the listener), read by the main thread at the end.
    private volatile boolean failed;
    private volatile int unanswered;
    private volatile long answered;
    private volatile long sent;
    /** The answer to the last line sent: answers come in order, so when it is there, all are. */
    private CompletableFuture<Answer> last = CompletableFuture.completedFuture(null);

    BatchRun(PrintStream out, PrintStream err, boolean json, boolean stopOnError, boolean outIsTerminal) {
        this.out = out;
        this.err = err;
        this.json = json;
        this.stopOnError = stopOnError;
        this.escapeOut = outIsTerminal;
    }

    /** Runs {@code lines} against the server at {@code socket}; returns the exit status. */
    int run(Path socket, ScriptLines lines) {
        OpshellSession session;
        try {
            session = OpshellSession.open(socket, this);
        } catch (ClientFailure e) {
            err.println(TerminalText.escape(e.getMessage()));
            return OpshellClient.EXIT_NO_SESSION;
        }
        try (session) {
            // The lines are fed on a thread of their own: a script's input may stay open after the
            // server has ended the session, and the client must not wait on it then.
            CompletableFuture<String> fed = CompletableFuture.supplyAsync(() -> feed(session, lines),
                    command -> Thread.ofPlatform().daemon().name("opshell-feed").start(command));
            CompletableFuture.anyOf(fed, session.ended()).join();
            String outcome;
            try {
                // Ended by a last "quit": the feeder is about to see the end of its input too.
                outcome = fed.get(FEED_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                awaitEnd(session);
            } catch (TimeoutException e) {
                outcome = "error: the session ended before the input did; the rest of the input was not sent";
            } catch (ExecutionException e) {
                outcome = e.getCause().getMessage(); // reading the input failed: one error line
                session.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome = "error: interrupted";
            }
            synchronized (this) {
                out.flush();
                if (outcome != null) {
                    failed = true;
                    err.println(outcome);
                }
                if (unanswered > 0) {
                    Answer why = session.lastHostMessage();
                    err.println("error: the session ended before " + unanswered + (unanswered == 1 ? " line was" : " lines were")
                            + " answered" + (why != null && !why.ok() ? " (" + TerminalText.escape(why.output()) + ")" : ""));
                }
                err.flush();
            }
            return failed ? OpshellClient.EXIT_ERROR : OpshellClient.EXIT_OK;
        }
    }

    /** Sends the lines; returns why it stopped early (one {@code error:} line), or null when all were sent. */
    private String feed(OpshellSession session, ScriptLines lines) {
        SessionInfo info = session.info();
        String shell = info.shell();
        Deque<CompletableFuture<Answer>> inFlight = new ArrayDeque<>();
        Deque<Integer> inFlightSizes = new ArrayDeque<>();
        long inFlightBytes = 0;
        long lineNumber = 0;
        String line = lines.next();
        while (line != null) {
            lineNumber++;
            if (session.hasEnded()) {
                return "error: the session ended at line " + lineNumber + "; it and the lines after it were not sent";
            }
            String host = OpshellSession.hostCommandName(line);
            int size = size(line);
            int window = linesAhead(info, shell);
            boolean alone = stopOnError || host != null || window == 1;
            while (!inFlight.isEmpty() && (alone || inFlight.size() >= window || inFlightBytes + size > bytesAhead(info))) {
                inFlight.poll().join();
                inFlightBytes -= inFlightSizes.poll();
            }
            if ("mode".equals(host)) {
                // The session must stay in json mode for answers to be read; --json chooses the output.
                sent++;
                synchronized (this) {
                    answer(Answer.local(line, false, "error: the client keeps the session in json mode; "
                            + "use --json for JSON output"));
                }
                line = lines.next();
                continue;
            }
            if (!alone) {
                // Lines already at hand go in one write: fewer system calls, and the server runs
                // them in fewer steps.
                List<String> batch = new ArrayList<>();
                batch.add(line);
                inFlightSizes.add(size);
                inFlightBytes += size;
                line = null;
                while (inFlight.size() + batch.size() < window && lines.ready()) {
                    String next = lines.next();
                    int nextSize = size(next);
                    if (OpshellSession.isHostCommand(next) || inFlightBytes + nextSize > bytesAhead(info)) {
                        line = next; // it waits for its turn above
                        break;
                    }
                    lineNumber++;
                    batch.add(next);
                    inFlightSizes.add(nextSize);
                    inFlightBytes += nextSize;
                }
                List<CompletableFuture<Answer>> answers = session.send(batch);
                sent += batch.size();
                inFlight.addAll(answers);
                last = answers.get(answers.size() - 1);
                if (line == null) {
                    line = lines.next();
                } else {
                    lineNumber--; // counted again at the top
                }
                continue;
            }
            CompletableFuture<Answer> answer = session.send(line);
            sent++;
            last = answer;
            Answer a = answer.join();
            if ("shell".equals(host) && a.ok() && a.output().startsWith("opshell: shell ")) {
                shell = a.output().substring("opshell: shell ".length()).trim();
            }
            if (stopOnError && !a.ok()) {
                return "error: stopped at line " + lineNumber + " (--stop-on-error); the lines after it were not sent";
            }
            if (OpshellSession.isHostQuit(line)) {
                return lines.next() == null ? null : "error: \\quit at line " + lineNumber + "; the lines after it were not sent";
            }
            line = lines.next();
        }
        return null;
    }

    private static int size(String line) {
        return line.getBytes(StandardCharsets.UTF_8).length + 1;
    }

    /**
     * Ends the input and waits until every line sent has its answer (the server bounds each step,
     * so they come), then gives the server {@link #CLOSE_WAIT_SECONDS} to close the session.
     */
    private void awaitEnd(OpshellSession session) {
        session.endInput();
        try {
            last.join();
            session.ended().get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            err.println("error: the server did not close the session " + CLOSE_WAIT_SECONDS + " s after its last answer; closing it");
            failed = true;
            session.close();
            session.ended().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.close();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many lines may be in flight in {@code shell}. */
    static int linesAhead(SessionInfo info, String shell) {
        if (shell == null || !PIPELINED_SHELLS.contains(shell) || !shell.equals(info.shell())) {
            return 1; // an unknown or Scheme shell, or a switched-to one that may be left without a word
        }
        double rate = info.commandsPerSecond();
        return (int) Math.max(1, Math.min(MAX_LINES_AHEAD, Math.floor(2 * rate)));
    }

    /** How many bytes may be in flight: the byte-rate limit's safe burst, or 64 KiB (the server's read chunk). */
    static long bytesAhead(SessionInfo info) {
        return (long) Math.max(1, Math.min(MAX_BYTES_AHEAD, Math.floor(2 * info.bytesPerSecond())));
    }

    @Override
    public synchronized void answer(Answer a) {
        answered++;
        if (!a.ok()) {
            failed = true;
        }
        if (a.raw() != null && a.output().equals(OpshellSession.NOT_ANSWERED)) {
            unanswered++;
        }
        if (json) {
            if (a.raw() != null) {
                out.println(escapeOut ? TerminalText.escape(a.raw()) : a.raw());
            }
        } else if (!a.output().isEmpty()) {
            // As plain mode prints an answer: its text, newline-terminated.
            out.print(escapeOut ? TerminalText.escape(a.output()) : a.output());
            out.print('\n');
        }
        if (escapeOut || answered >= sent) {
            out.flush(); // nothing more is due right now: let a reader of the pipe see it
        }
    }

    @Override
    public synchronized void hostMessage(Answer m) {
        if (!m.ok()) {
            failed = true;
        }
        if (json) {
            out.println(escapeOut ? TerminalText.escape(m.raw()) : m.raw());
            out.flush();
        } else {
            err.println(TerminalText.escape(m.output()));
            err.flush();
        }
    }

    @Override
    public synchronized void ended() {
        out.flush();
    }
}
