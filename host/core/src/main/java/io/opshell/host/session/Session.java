package io.opshell.host.session;

import io.opshell.host.SessionLimits;
import io.opshell.host.StateAccess;
import io.opshell.host.wasm.ShellModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.newsclub.net.unix.AFUNIXSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One operator connection: the read loop that ties the session's parts together. It reads input
 * under the session's deadlines ({@link Connection}), cuts it into whole lines ({@link InputLines}),
 * passes each through the rate limits ({@link LineGate}), gives host commands to
 * {@link HostCommands} and runs the rest through the shell ({@link ShellSlot}), and writes what
 * {@link Replies} collected once per round. Admission ({@link Admission}) decides first; a first
 * line {@code \mode plain|json} takes the banner away, and a first line {@code \interrupt ID}
 * makes the connection a one-shot interrupt request. Where a session ends, {@link #closeReason}
 * says why, and the close record carries it.
 */
public final class Session implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** Largest chunk read from the socket at once. */
    static final int MAX_READ_CHUNK = 64 * 1024;
    /** The read buffer starts this small and doubles while reads fill it (idle sessions stay cheap). */
    static final int FIRST_READ_CHUNK = 4 * 1024;
    /**
     * How long a new session's open record and log line wait for its first input or its end:
     * written while the session waits on its client, they stay off the path to the operator's
     * prompt (on a busy CPU they delayed it by about 70 µs), and still come before anything the
     * session does.
     */
    static final long OPEN_RECORD_WAIT_MILLIS = 10;
    private static final Pattern MODE_LINE = Pattern.compile("\\\\mode\\s+(\\S+)\\s*");
    private static final Pattern INTERRUPT_LINE = Pattern.compile("\\\\interrupt\\s+(\\S+)\\s*");

    private final long id;
    private final AFUNIXSocket socket;
    private final SessionServices services;
    private final ServerControl server;
    private volatile SessionContext context;
    private volatile ShellSlot slot;
    private volatile Connection connection;
    private volatile boolean admitted;
    private volatile String closeReason = "client closed the connection";
    /** The open record and log line, until written ({@link #recordOpen}); touched by the session's thread only. */
    private Runnable openRecord;
    /** Set by the first {@link #kill}: its reason is the one on record. */
    private final AtomicBoolean killed = new AtomicBoolean();

    public Session(long id, AFUNIXSocket socket, SessionServices services, ServerControl server) {
        this.id = id;
        this.socket = socket;
        this.services = services;
        this.server = server;
    }

    public long id() {
        return id;
    }

    /** The session as others see it; null until the peer has been identified. */
    public SessionContext context() {
        return context;
    }

    /** True once admitted (counted against the operator's session limit); interrupt requests never are. */
    public boolean admitted() {
        return admitted;
    }

    /**
     * Ends the session from another thread without waiting on its client (see {@link Connection#kill()}).
     * Only the first call counts: a session an admin killed that is still closing when the server
     * shuts down was killed by the admin.
     */
    public void kill(String reason) {
        if (!killed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        ShellSlot s = slot;
        if (s != null) {
            s.interrupt("interrupted: " + reason);
        }
        Connection c = connection;
        if (c != null) {
            c.kill();
        } else {
            try {
                socket.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /** Asks the running step to stop at its next poll, keeping the shell (the operator's Ctrl-C). */
    public boolean interrupt() {
        ShellSlot s = slot;
        return s != null && s.interrupt("interrupted by the operator");
    }

    @Override
    public void run() {
        MDC.put("session", Long.toString(id));
        SessionAudit audit = null;
        try {
            connection = new Connection(socket);
            var identity = connection.identify(services.users());
            context = new SessionContext(id, identity, services.users().groups(identity), services.policy(), services.metrics());
            audit = new SessionAudit(services.audit(), context);
            serve(audit);
        } catch (Connection.WriteTimeout e) {
            if (!connection.killed()) {
                closeReason = "client did not read its output for " + services.limits().writeTimeout().toSeconds() + " s";
            }
        } catch (IOException e) {
            if (connection == null || !connection.killed()) {
                closeReason = "client closed the connection";
            }
        } catch (RuntimeException e) {
            closeReason = "internal error: " + e;
            log.error("session {} failed", id, e);
        } finally {
            ShellSlot s = slot;
            if (s != null) {
                s.close();
            }
            // On record before the socket closes: a client that sees its session end finds it there.
            try {
                if (admitted) {
                    recordOpen();
                    log.info("session {} closed: {}", id, closeReason);
                    audit.record("close", Map.of("reason", closeReason));
                }
            } finally {
                if (connection != null) {
                    connection.close();
                } else {
                    closeQuietly();
                }
                MDC.remove("session");
            }
        }
    }

    private void serve(SessionAudit audit) throws IOException {
        Replies replies = new Replies();
        byte[] chunk = new byte[FIRST_READ_CHUNK];
        // A script announces its mode (or an interrupt request) in its first line: wait briefly for
        // it, so that no banner reaches a script; an operator at a terminal sees the banner then.
        int n = connection.read(chunk, 0, chunk.length, services.bannerWait().toMillis());
        InputLines lines = new InputLines(services.limits().maxLineBytes());
        long firstArrivalNanos = System.nanoTime();
        List<InputLines.Line> first = n > 0 ? lines.add(chunk, n, firstArrivalNanos) : new ArrayList<>();
        if (!first.isEmpty()) {
            Matcher interrupt = INTERRUPT_LINE.matcher(first.get(0).text());
            if (interrupt.matches()) {
                interruptRequest(interrupt.group(1), replies);
                return;
            }
            Matcher mode = MODE_LINE.matcher(first.get(0).text());
            if (mode.matches() && OutputMode.parse(mode.group(1)) != null) {
                replies.mode(OutputMode.parse(mode.group(1)));
                first.remove(0);
            }
        }
        Admission.Decision decision = Admission.decide(context, services, server);
        if (!decision.admitted()) {
            services.metrics().connectionRefused();
            closeReason = decision.refusal();
            audit.record("refused", Map.of("reason", decision.refusal()));
            // Plain text in every mode, as the listener's own refusals: the peer is not admitted to any mode.
            connection.write(("error: " + decision.refusal() + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        Admission.Terms terms = decision.terms();
        SessionLimits limits = terms.limits();
        context.tenant(terms.tenant());
        admitted = true;
        // Pending from here on: every admitted session that gets a close record gets this one first.
        Map<String, Object> opened = Map.of("pid", context.identity().pid(), "role", terms.profile().role().toString(),
                "shell", terms.shell().name(), "mode", replies.mode().toString());
        openRecord = () -> {
            audit.record("open", opened);
            log.info("session {} opened by {} (uid {}, pid {}) as {}", id, context.identity().user(),
                    context.identity().uid(), context.identity().pid(), terms.profile().name());
        };
        services.metrics().sessionOpened();
        connection.setTimeout(limits.writeTimeout().toMillis());
        replies.notice(Admission.banner(context, terms), false);
        StateAccess access = new ApplicationAccess(new SessionStateAccess(services.store(), context, services.audit(),
                services.maxKeysListed(), new StateCallBudget()), services.surface(), context, audit);
        slot = new ShellSlot(context, access, limits, services.metrics());
        if (!slot.start(terms.shell(), replies)) {
            closeReason = "shell failed to start: " + slot.lastFault();
            connection.write(replies.take());
            return;
        }
        connection.write(replies.take());
        Round round = new Round(terms.shell(), limits, replies, new LineGate(terms.profile().commandsPerSecond(),
                terms.profile().bytesPerSecond()), new HostCommands(context, services, server, slot, access, audit));
        if (!first.isEmpty()) {
            recordOpen();
        }
        boolean goesOn = round.handle(first, false, firstArrivalNanos);
        connection.write(replies.take());
        if (!goesOn) {
            return;
        }
        readLoop(chunk, lines, round, limits);
    }

    /** Writes the open record and log line if they are still waiting ({@link #OPEN_RECORD_WAIT_MILLIS}). */
    private void recordOpen() {
        Runnable pending = openRecord;
        openRecord = null;
        if (pending != null) {
            pending.run();
        }
    }

    private void readLoop(byte[] chunk, InputLines lines, Round round, SessionLimits limits) throws IOException {
        long openedNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(context.ageSeconds());
        long endNanos = openedNanos + limits.maxSessionLength().toNanos();
        long lastInputNanos = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            long lifeLeft = TimeUnit.NANOSECONDS.toMillis(endNanos - now);
            long idleLeft = TimeUnit.NANOSECONDS.toMillis(lastInputNanos + limits.idleTimeout().toNanos() - now);
            long lineLeft = lines.hasPartial()
                    ? TimeUnit.NANOSECONDS.toMillis(lines.partialSinceNanos() + limits.lineTimeout().toNanos() - now)
                    : Long.MAX_VALUE;
            if (lifeLeft <= 0) {
                end("maximum session length", "error: sessions last at most " + limits.maxSessionLength().toSeconds()
                        + " s; closing the session", round.replies);
                return;
            }
            if (idleLeft <= 0) {
                end("idle timeout", "error: no input for " + limits.idleTimeout().toSeconds() + " s; closing the session",
                        round.replies);
                return;
            }
            if (lineLeft <= 0) {
                end("line timeout", "error: a line was not completed within " + limits.lineTimeout().toSeconds()
                        + " s; closing the session", round.replies);
                return;
            }
            long timeout = Math.min(limits.writeTimeout().toMillis(), Math.min(lifeLeft, Math.min(idleLeft, lineLeft)));
            if (openRecord != null) {
                timeout = Math.min(timeout, OPEN_RECORD_WAIT_MILLIS);
            }
            int n = connection.read(chunk, 0, chunk.length, timeout);
            recordOpen();
            if (n == Connection.TIMED_OUT) {
                continue; // the top of the loop decides whether a deadline has passed
            }
            if (connection.killed()) {
                end(closeReason, "error: " + closeReason + "; closing the session", round.replies);
                return;
            }
            lastInputNanos = System.nanoTime();
            if (n < 0) {
                InputLines.Line last = lines.finish();
                round.handle(last == null ? List.of() : List.of(last), true, lastInputNanos);
                connection.write(round.replies.take());
                if (closeReason.equals("client closed the connection")) {
                    closeReason = "end of input";
                }
                return;
            }
            boolean goOn = round.handle(lines.add(chunk, n, lastInputNanos), false, lastInputNanos);
            connection.write(round.replies.take());
            if (!goOn) {
                return;
            }
            if (n == chunk.length && chunk.length < MAX_READ_CHUNK) {
                chunk = java.util.Arrays.copyOf(chunk, chunk.length * 2);
            }
        }
    }

    /** Tells the operator why the session ends, and records it. */
    private void end(String reason, String message, Replies replies) throws IOException {
        closeReason = reason;
        replies.unasked(message);
        connection.write(replies.take());
    }

    /** A connection whose first line is {@code \interrupt ID}: one answer, then it closes. */
    private void interruptRequest(String target, Replies replies) throws IOException {
        long targetId;
        try {
            targetId = Long.parseLong(target);
        } catch (NumberFormatException e) {
            connection.write("error: usage: \\interrupt SESSION-ID\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String answer = switch (server.interrupt(targetId, context)) {
            case DONE -> "interrupted session " + targetId;
            case NOT_YOURS -> "error: session " + targetId + " is not yours";
            case NO_SUCH_SESSION -> "error: no session " + targetId;
        };
        connection.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void sleepUntil(long nanos) {
        long wait;
        while ((wait = nanos - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    /**
     * What happens to the lines of one read: each passes the rate limits or is dropped (and
     * reported), host commands run in order between the shell's batches, and the shell gets the
     * rest in as few steps as the order allows.
     */
    private final class Round {
        final ShellModule firstShell;
        final SessionLimits limits;
        final Replies replies;
        final LineGate gate;
        final HostCommands commands;

        Round(ShellModule firstShell, SessionLimits limits, Replies replies, LineGate gate, HostCommands commands) {
            this.firstShell = firstShell;
            this.limits = limits;
            this.replies = replies;
            this.gate = gate;
            this.commands = commands;
        }

        /**
         * Runs what arrived at {@code arrivalNanos} (System.nanoTime, taken when the read returned).
         *
         * @return false when the session ends
         */
        boolean handle(List<InputLines.Line> input, boolean endOfInput, long arrivalNanos) throws IOException {
            List<InputLines.Line> batch = new ArrayList<>();
            List<String> dropped = new ArrayList<>();
            String dropReason = null;
            for (int at = 0; at < input.size(); at++) {
                InputLines.Line line = input.get(at);
                if (line.tooLong()) {
                    if (!runBatch(batch, false, arrivalNanos)) {
                        return false;
                    }
                    replies.hostAnswer(line.text() + "…", "error: line of " + line.length() + " bytes dropped: longer than "
                            + limits.maxLineBytes() + " bytes, your limit", false);
                    continue;
                }
                long runAt = gate.admit(line.length(), arrivalNanos);
                if (runAt < 0) {
                    if (!runBatch(batch, false, arrivalNanos)) {
                        return false;
                    }
                    services.metrics().rateLimited();
                    dropped.add(line.text());
                    dropReason = gate.refusal();
                    continue;
                }
                replies.notRun(dropped, "dropped", dropReason);
                dropped.clear();
                if (runAt > arrivalNanos && runAt > System.nanoTime()) {
                    // A burst beyond the rate: what came before runs now, this line when its turn comes.
                    if (!runBatch(batch, false, arrivalNanos)) {
                        return false;
                    }
                    connection.write(replies.take());
                    sleepUntil(runAt);
                }
                if (line.isHostCommand()) {
                    if (!runBatch(batch, false, arrivalNanos)) {
                        return false;
                    }
                    context.commandsRun(1);
                    if (!commands.run(line.text(), replies)) {
                        replies.closing();
                        replies.notRun(input.subList(at + 1, input.size()).stream().map(InputLines.Line::text).toList(),
                                "not run", "the session closed");
                        closeReason = context.currentProfile().isEmpty() ? "no longer admitted by the policy" : "operator quit";
                        return false;
                    }
                    if (slot.module() == null) {
                        closeReason = "shell failed to start: " + slot.lastFault();
                        return false;
                    }
                    replies.endRound();
                    connection.write(replies.take());
                } else {
                    batch.add(line);
                }
            }
            replies.notRun(dropped, "dropped", dropReason);
            boolean goOn = batch.isEmpty() && !endOfInput || runBatch(batch, endOfInput, arrivalNanos);
            if (goOn) {
                replies.endRound();
            } else {
                replies.closing();
            }
            return goOn;
        }

        /** Runs {@code batch}, arrived at {@code arrivalNanos}, through the shell (and empties it); false when the session ends. */
        private boolean runBatch(List<InputLines.Line> batch, boolean endOfInput, long arrivalNanos) throws IOException {
            if (batch.isEmpty() && !endOfInput) {
                return true;
            }
            ShellSlot.Result result = slot.run(List.copyOf(batch), endOfInput, arrivalNanos, replies);
            batch.clear();
            switch (result.outcome()) {
                case CONTINUE -> {
                    return true;
                }
                case BROKEN -> {
                    closeReason = "shell failed to start: " + slot.lastFault();
                    return false;
                }
                default -> { }
            }
            if (endOfInput) {
                closeReason = slot.lastFault() != null ? "shell fault at end of input" : "end of input";
                return false;
            }
            if (slot.module() != firstShell) {
                // Leaving a shell switched to returns to the session's first one; the lines after
                // the one that closed it run there.
                replies.shellChanged(null, "opshell: left " + slot.module().name() + "; back in " + firstShell.name(),
                        firstShell.name());
                if (!slot.start(firstShell, replies)) {
                    closeReason = "shell failed to start: " + slot.lastFault();
                    return false;
                }
                connection.write(replies.take());
                List<InputLines.Line> rest = new ArrayList<>(result.leftover());
                return rest.isEmpty() || runBatch(rest, false, arrivalNanos);
            }
            closeReason = "shell closed the session";
            replies.closing();
            replies.notRun(result.leftover().stream().map(InputLines.Line::text).toList(), "not run", "the session closed");
            return false;
        }
    }
}
