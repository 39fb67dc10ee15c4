package io.opshell.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One session in the server's json mode: the protocol, apart from the transport
 * ({@link SocketLines}) and from what the operator sees ({@link BatchRun}, {@link Console}).
 * Opening says {@code \mode json} and asks {@code \whoami}; each line sent gets exactly one
 * answer, in order, which is how answers are paired with lines while many are in flight. A single
 * reader thread delivers answers and host messages to the {@link Listener} in the order the server
 * sent them. When the server closes the connection, every line still waiting is answered
 * {@code error: not answered: …}: nothing is left hanging. Where to change the pairing rules:
 * {@link #deliver}.
 */
final class OpshellSession implements AutoCloseable {
    /** How long opening waits for the server's first answer before giving up. */
    static final long OPEN_TIMEOUT_SECONDS = 15;
    static final String NOT_ANSWERED = "error: not answered: the session ended";

    /** What the session says, called on its reader thread, in the server's order. */
    interface Listener {
        /** The answer to a line given to {@link #send}. */
        void answer(Answer answer);

        /** A host message tied to no line (the session ending, output cut, …). */
        void hostMessage(Answer message);

        /** The server closed the session; every line sent has been answered by now. */
        void ended();
    }

    private record Pending(String input, boolean internal, boolean quits, CompletableFuture<Answer> answer) {}

    private final SocketLines socket;
    private final Listener listener;
    private final Deque<Pending> pending = new ArrayDeque<>(); // guarded by itself
    private final Object sendLock = new Object();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private boolean closed; // guarded by pending
    private volatile boolean open;
    private volatile Answer lastHostMessage;
    private SessionInfo info;

    private OpshellSession(SocketLines socket, Listener listener) {
        this.socket = socket;
        this.listener = listener;
    }

    /** Connects, switches to json mode and learns who the session is; refused or unreachable: {@link ClientFailure}. */
    static OpshellSession open(Path socketPath, Listener listener) throws ClientFailure {
        OpshellSession session = new OpshellSession(SocketLines.connect(socketPath), listener);
        Thread reader = new Thread(session::readLoop, "opshell-reader");
        reader.setDaemon(true);
        CompletableFuture<Answer> whoami;
        synchronized (session.pending) {
            whoami = new CompletableFuture<>();
            session.pending.add(new Pending("\\whoami", true, false, whoami));
        }
        try {
            // The mode line must be the first line: the server shows a banner to a client that is silent for 200 ms.
            session.socket.write("\\mode json\n\\whoami\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // refused before we spoke: the reader reads why
        }
        reader.start();
        try {
            Answer a = whoami.get(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!a.ok()) {
                Answer why = session.lastHostMessage;
                throw new ClientFailure(why != null ? why.output() : a.output().equals(NOT_ANSWERED)
                        ? "the server closed the connection without a word" : a.output());
            }
            session.info = SessionInfo.parse(a.output());
            session.open = true;
            return session;
        } catch (TimeoutException e) {
            session.close();
            throw new ClientFailure("the server at " + socketPath + " did not answer within " + OPEN_TIMEOUT_SECONDS
                    + " s; is it an opshell server, and is it alive?");
        } catch (InterruptedException e) {
            session.close();
            Thread.currentThread().interrupt();
            throw new ClientFailure("interrupted while connecting");
        } catch (ExecutionException e) {
            session.close();
            throw new ClientFailure("connecting failed: " + e.getCause());
        } catch (ClientFailure e) {
            session.close();
            throw e;
        }
    }

    SessionInfo info() {
        return info;
    }

    /** Sends an operator's line (no newline in it); its answer also goes to the listener. */
    CompletableFuture<Answer> send(String line) {
        return enqueue(List.of(line), false).get(0);
    }

    /** Sends lines in one write (one entry of several lines); their answers also go to the listener. */
    List<CompletableFuture<Answer>> send(List<String> lines) {
        return enqueue(lines, false);
    }

    /** Asks the host something for the client itself ({@code \complete …}, {@code \shell}): the listener does not see it. */
    CompletableFuture<Answer> query(String hostCommand) {
        return enqueue(List.of(hostCommand), true).get(0);
    }

    private List<CompletableFuture<Answer>> enqueue(List<String> lines, boolean internal) {
        List<CompletableFuture<Answer>> answers = new ArrayList<>(lines.size());
        StringBuilder text = new StringBuilder();
        synchronized (sendLock) {
            synchronized (pending) {
                for (String line : lines) {
                    CompletableFuture<Answer> f = new CompletableFuture<>();
                    answers.add(f);
                    if (closed) {
                        f.complete(Answer.local(line, false, NOT_ANSWERED));
                    } else {
                        pending.add(new Pending(line, internal, isHostQuit(line), f));
                        text.append(line).append('\n');
                    }
                }
            }
            if (!text.isEmpty()) {
                try {
                    socket.write(text.toString().getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the server is gone: the reader sees the end and answers what is pending
                }
            }
        }
        return answers;
    }

    /** Says the input has ended: the server answers what it has, then closes the session. */
    void endInput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            // already closed: the reader has seen or will see the end
        }
    }

    boolean hasEnded() {
        return ended.isDone();
    }

    /** Completes when the server has closed the session and every line was answered. */
    CompletableFuture<Void> ended() {
        return ended;
    }

    /** The last host message (for an ended session: usually why it ended), or null. */
    Answer lastHostMessage() {
        return lastHostMessage;
    }

    @Override
    public void close() {
        socket.close();
    }

    private void readLoop() {
        try {
            for (String line; (line = socket.readLine()) != null; ) {
                deliver(parse(line));
            }
        } catch (IOException e) {
            // closed by us, or reset by the server: the same end as below
        } finally {
            List<Pending> left;
            synchronized (pending) {
                closed = true;
                left = new ArrayList<>(pending);
                pending.clear();
            }
            socket.close();
            for (Pending p : left) {
                // \quit is answered by the session closing; any other line never reached an answer.
                Answer a = p.quits() ? Answer.local(p.input(), true, "") : Answer.local(p.input(), false, NOT_ANSWERED);
                if (!p.internal() && open) {
                    listener.answer(a);
                }
                p.answer().complete(a);
            }
            if (open) {
                listener.ended();
            }
            ended.complete(null);
        }
    }

    private static Answer parse(String line) {
        if (!line.startsWith("{")) {
            return Answer.plainLine(line); // e.g. the listener's refusal, sent before any mode applies
        }
        try {
            return Answer.parse(line);
        } catch (JsonLine.MalformedException e) {
            String shown = line.length() > 80 ? line.substring(0, 80) + "…" : line;
            return Answer.local(null, false, "error: the server sent a line this client cannot read (" + e.getMessage()
                    + "): " + shown);
        }
    }

    /**
     * Pairs an answer with the oldest line waiting. A shell that does not mark its answers gets
     * one object for all the lines of one step ({@code input} holds them, newline-separated): it
     * answers that many lines, the first carrying the output.
     */
    private void deliver(Answer a) {
        if (a.isHostMessage()) {
            lastHostMessage = a;
            if (open) {
                listener.hostMessage(a);
            }
            return;
        }
        int lines = 1;
        for (int i = a.input().indexOf('\n'); i >= 0; i = a.input().indexOf('\n', i + 1)) {
            lines++;
        }
        for (int k = 0; k < lines; k++) {
            Pending p;
            synchronized (pending) {
                p = pending.poll();
            }
            if (p == null) {
                if (k == 0) { // an answer to nothing we sent: show it rather than lose it
                    lastHostMessage = a;
                    if (open) {
                        listener.hostMessage(a);
                    }
                }
                return;
            }
            Answer mine = k == 0 ? a : new Answer(p.input(), a.ok(), false, "", null);
            // The listener first: whoever waits on the answer then finds it printed, so what the
            // client answers itself (a refused \mode) comes after it, in input order.
            if (!p.internal() && k == 0) {
                listener.answer(mine);
            }
            p.answer().complete(mine);
        }
    }

    static boolean isHostCommand(String line) {
        return line.startsWith("\\");
    }

    /** The host command's name ({@code shell} for {@code \shell scheme}), or null for a shell line. */
    static String hostCommandName(String line) {
        if (!isHostCommand(line)) {
            return null;
        }
        return line.substring(1).trim().split("\\s+", 2)[0]; // as the server reads it: case matters
    }

    /** {@code \quit}, {@code \q}, {@code \exit}: the host closes the session without an answer. */
    static boolean isHostQuit(String line) {
        String name = hostCommandName(line);
        return "quit".equals(name) || "q".equals(name) || "exit".equals(name);
    }
}
