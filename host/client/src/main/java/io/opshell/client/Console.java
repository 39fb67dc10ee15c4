package io.opshell.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The interactive console: terminal I/O through JLine (line editing, history in
 * {@code ~/.opshell_history}, completion by {@link ConsoleCompleter}, multi-line Scheme by
 * {@link EntryParser}), over a json-mode {@link OpshellSession}. The prompts are the client's own
 * ({@code kv> }, {@code scheme> }, {@code ...> }); every answer is printed escaped
 * ({@link TerminalText}). Ctrl-C while a command runs asks the server to interrupt it
 * ({@link Interrupter}) and the session stays; Ctrl-C at the prompt drops the line; Ctrl-D,
 * {@code quit} or {@code \quit} leave. Where to change what the operator sees: {@link #banner},
 * {@link #prompt}, {@link #answer}.
 */
final class Console implements OpshellSession.Listener {
    static final String HISTORY_FILE = ".opshell_history";
    static final String CONTINUATION_PROMPT = "...> ";
    /** Ctrl-C presses while one entry waits after which the client stops waiting and leaves. */
    static final int CTRL_C_TO_LEAVE = 3;

    private final Path socket;
    private volatile Terminal terminal;
    private volatile LineReader reader;
    private volatile OpshellSession session;
    private Interrupter interrupter;
    private String firstShell;
    private volatile String shell;
    /** The server keeps an incomplete input (its answers said {@code more}): the next entry continues it. */
    private boolean continuing;
    private volatile boolean waiting;
    private volatile Thread mainThread;
    private final AtomicInteger ctrlCs = new AtomicInteger();
    /** The session ended with an error the server gave (killed, idle, shut down): exit status 1. */
    private volatile boolean endedInError;
    private volatile boolean leaving;
    private volatile boolean unanswered;

    private Console(Path socket) {
        this.socket = socket;
    }

    /** Runs the console on the process's terminal; returns the exit status. */
    static int run(Path socket) {
        // Opening the session and starting the terminal are independent, and both take a while:
        // one on the server's side, one in class loading. Do them at once.
        Console console = new Console(socket);
        CompletableFuture<Object> opening = CompletableFuture.supplyAsync(() -> {
            try {
                return OpshellSession.open(socket, console);
            } catch (ClientFailure e) {
                return e;
            }
        }, command -> Thread.ofPlatform().daemon().name("opshell-open").start(command));
        Terminal terminal;
        try {
            terminal = TerminalBuilder.builder().system(true).providers("ffm,exec")
                    .nativeSignals(true).signalHandler(Terminal.SignalHandler.SIG_IGN).build();
        } catch (IOException | RuntimeException e) {
            System.err.println("error: cannot open the terminal (" + e.getMessage() + "); give COMMANDs or pipe the input instead");
            return OpshellClient.EXIT_NO_SESSION;
        }
        try (terminal) {
            console.terminal = terminal;
            Object opened = opening.join();
            if (opened instanceof ClientFailure failure) {
                terminal.writer().println(TerminalText.escape(failure.getMessage()));
                terminal.flush();
                return OpshellClient.EXIT_NO_SESSION;
            }
            console.session = (OpshellSession) opened;
            return console.loop();
        } catch (IOException e) {
            return OpshellClient.EXIT_ERROR; // closing the terminal failed; the session is over anyway
        }
    }

    private int loop() {
        mainThread = Thread.currentThread();
        try {
            SessionInfo info = session.info();
            firstShell = info.shell() != null ? info.shell() : "opshell";
            shell = firstShell;
            interrupter = new Interrupter(socket, info.sessionId());
            if (terminal.getWidth() <= 0) {
                terminal.setSize(new Size(80, 24)); // a pseudo-terminal nobody sized: editing needs a width
            }
            reader = buildReader();
            terminal.handle(Terminal.Signal.INT, signal -> ctrlC());
            print(banner(info));
            while (!session.hasEnded()) {
                String entry;
                try {
                    entry = reader.readLine(prompt());
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C at the prompt drops the line; if the session ended, the loop sees it
                } catch (EndOfFileException e) {
                    leave();
                    break;
                }
                run(entry);
            }
            session.ended().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
            Thread.interrupted(); // the end's wake-up call, if the editor did not take it
            return endedInError ? OpshellClient.EXIT_ERROR : OpshellClient.EXIT_OK;
        } finally {
            session.close();
        }
    }

    private LineReader buildReader() {
        LineReader r = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("opshell")
                .parser(new EntryParser(() -> shell))
                .completer(new ConsoleCompleter(session, () -> shell))
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, CONTINUATION_PROMPT)
                .variable(LineReader.HISTORY_FILE, historyFile())
                .variable(LineReader.HISTORY_FILE_SIZE, 10_000)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // '!' is Scheme's (set!), not history's
                .option(LineReader.Option.INSERT_TAB, false)
                .build();
        return r;
    }

    /** {@code $HOME/.opshell_history}, as a shell finds it ($HOME first: the JVM's user.home ignores it). */
    private static Path historyFile() {
        String home = System.getenv("HOME");
        if (home == null || home.isEmpty()) {
            home = System.getProperty("user.home");
        }
        Path file = Path.of(home == null || home.isEmpty() ? "." : home, HISTORY_FILE);
        return Files.isDirectory(file.getParent()) ? file : Path.of(HISTORY_FILE);
    }

    private String banner(SessionInfo info) {
        return "opshell: session " + info.sessionId() + " on " + socket + " as " + info.user()
                + (info.role() != null ? " (" + info.role() + ")" : "") + (info.tenant() != null ? ", tenant " + info.tenant() : "")
                + ", shell " + shell + "\n"
                + "\\help lists host commands; Tab completes; Ctrl-C stops a running command; Ctrl-D or quit leaves";
    }

    private String prompt() {
        return continuing ? CONTINUATION_PROMPT : shell + "> ";
    }

    /** Sends one entry (one or more lines) and waits for its answers, which the listener prints as they come. */
    private void run(String entry) {
        List<String> lines = Arrays.asList(entry.split("\n", -1));
        if (!continuing && entry.isBlank()) {
            return;
        }
        String host = OpshellSession.hostCommandName(lines.get(0));
        if ("mode".equals(host)) {
            print("error: the console keeps the session in json mode; for scripts use scripts/connect --json COMMAND...");
            return;
        }
        waiting = true;
        ctrlCs.set(0);
        Answer last;
        try {
            List<CompletableFuture<Answer>> answers = session.send(lines);
            last = answers.get(answers.size() - 1).join();
        } finally {
            waiting = false;
        }
        continuing = last.more();
        if ("shell".equals(host) && last.ok() && last.output().startsWith("opshell: shell ")) {
            shell = last.output().substring("opshell: shell ".length()).trim();
        }
        if (!shell.equals(firstShell) && !session.hasEnded()) {
            refreshShell();
        }
    }

    /**
     * In a shell switched to, {@code quit} returns to the first one, and json mode does not say so
     * (the host's notice is for interactive mode only): ask which shell answers now.
     */
    private void refreshShell() {
        try {
            Answer a = session.query("\\shell").get(ConsoleCompleter.QUERY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            int at = a.output().lastIndexOf("(current: ");
            if (a.ok() && at >= 0 && a.output().endsWith(")")) {
                String now = a.output().substring(at + "(current: ".length(), a.output().length() - 1);
                if (!now.equals(shell)) {
                    shell = now;
                    continuing = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the session ended: the loop sees it
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // keep the prompt as it is
        }
    }

    /** Ctrl-D: leave the session (the host closes it without an answer). */
    private void leave() {
        leaving = true;
        session.send("\\quit");
    }

    /** Ctrl-C outside the line editor: while a command runs, ask the server to interrupt it. */
    private void ctrlC() {
        if (!waiting) {
            return;
        }
        int presses = ctrlCs.incrementAndGet();
        terminal.writer().println(); // the terminal echoed ^C: what comes next starts a line of its own
        terminal.flush();
        if (presses >= CTRL_C_TO_LEAVE) {
            print("opshell: no answer after " + presses + " Ctrl-C; leaving the session");
            endedInError = true;
            session.close();
            return;
        }
        Thread.ofPlatform().daemon().name("opshell-ctrl-c").start(() -> {
            String answer = interrupter.interrupt();
            if (answer.startsWith("error:")) {
                print(answer);
            }
        });
    }

    @Override
    public void answer(Answer a) {
        if (a.raw() != null && a.output().equals(OpshellSession.NOT_ANSWERED)) {
            unanswered = true;
        }
        if (!a.output().isEmpty()) {
            print(a.output());
        }
    }

    @Override
    public void hostMessage(Answer m) {
        print(m.output());
    }

    /**
     * The server closed the session: after Ctrl-D or {@code quit} that is the end asked for; after
     * an {@code error:} (killed, idle, shut down) or with lines left unanswered, exit status 1.
     */
    @Override
    public void ended() {
        OpshellSession s = session;
        Answer last = s == null ? null : s.lastHostMessage();
        endedInError = !leaving && (unanswered || last != null && !last.ok());
        Thread t = mainThread;
        if (t != null) {
            t.interrupt(); // the line editor may be waiting for a key: let it see the end now
        }
    }

    /** Prints text from the server (or about it) above the line being edited, escaped. */
    private void print(String text) {
        LineReader r = reader;
        Terminal t = terminal;
        if (r == null && t == null) {
            System.err.println(TerminalText.escape(text));
        } else if (r == null) { // before the editor exists: straight to the terminal
            t.writer().println(TerminalText.escape(text));
            t.flush();
        } else {
            r.printAbove(TerminalText.escape(text));
        }
    }
}
