package io.opshell.host.session;

import com.google.common.util.concurrent.RateLimiter;
import io.opshell.abi.Abi;
import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.SessionLimits;
import io.opshell.host.net.Refusal;
import io.opshell.host.policy.Policy;
import io.opshell.host.policy.Profile;
import io.opshell.host.wasm.GuestStdio;
import io.opshell.host.wasm.ShellFault;
import io.opshell.host.wasm.ShellInstance;
import io.opshell.host.wasm.ShellModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One operator connection, run on its own thread: identifies the peer and finds its profile
 * (refusing unknown peers before any shell starts), reads input in chunks under the profile's
 * rate limits, gives each chunk to the shell instance as one bounded step, and sends the step's
 * output back in one write. Lines starting with a backslash are host commands. A shell fault is
 * reported in-band and the shell is replaced; the connection stays.
 */
public final class Session implements Runnable, InputRouter.Sink, SessionStateAccess.SessionView {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** Largest chunk read from the socket for one step. */
    static final int MAX_READ_CHUNK = 64 * 1024;
    /** The read buffer starts this small and doubles while reads fill it (idle sessions stay cheap). */
    static final int FIRST_READ_CHUNK = 4 * 1024;
    /** A burst beyond the rate limits is delayed up to this long; input needing longer is refused. */
    static final Duration MAX_RATE_DELAY = Duration.ofSeconds(2);
    private static final byte[] EMPTY_LINE = {'\n'};

    private final long id;
    private final AFUNIXSocket socket;
    private final SessionServices services;
    private final ServerControl server;
    private final Consumer<Session> onClose;
    private final InputRouter router = new InputRouter();
    private final AdminCommands admin;
    private final long openedNanos = System.nanoTime();
    private volatile String closeReason = "client closed the connection";
    private volatile OperatorIdentity identity;
    private volatile boolean killed;
    /** True from the first write after a read until the next read. */
    private volatile boolean writing;
    private int socketTimeoutMillis = -1;
    private volatile String tenant;
    private volatile ShellModule shellModule;
    private volatile long commands;

    private Set<String> groups = Set.of();
    private Policy resolvedPolicy;
    private Optional<Profile> resolvedProfile = Optional.empty();
    private Profile startProfile;
    private SessionLimits limits;
    private RateLimiter commandLimiter;
    private RateLimiter byteLimiter;
    private volatile OutputStream out;
    private GuestStdio stdio;
    private ShellInstance shell;

    public Session(long id, AFUNIXSocket socket, SessionServices services, ServerControl server, Consumer<Session> onClose) {
        this.id = id;
        this.socket = socket;
        this.services = services;
        this.server = server;
        this.onClose = onClose;
        this.admin = new AdminCommands(server, services.stats(), services.runtime());
    }

    @Override
    public long id() {
        return id;
    }

    /** The operator, once the session has read the peer's credentials. */
    @Override
    public OperatorIdentity identity() {
        return identity;
    }

    @Override
    public String tenant() {
        return tenant;
    }

    @Override
    public String shellName() {
        ShellModule m = shellModule;
        return m == null ? "-" : m.name();
    }

    /** Seconds since the session opened. */
    public long ageSeconds() {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - openedNanos);
    }

    /** Input lines the session has sent to its shells. */
    public long commands() {
        return commands;
    }

    @Override
    public Profile profile() {
        Policy policy = services.policy().current();
        if (policy != resolvedPolicy) {
            // Resolve once per policy version, not on every state call: a reload replaces the object.
            resolvedProfile = policy.profileFor(identity, groups);
            resolvedPolicy = policy;
        }
        Optional<Profile> p = resolvedProfile;
        if (p.isEmpty()) {
            denied();
            throw new AbiException(AbiError.PERMISSION_DENIED, "no profile in the policy admits uid " + identity.uid());
        }
        return p.get();
    }

    @Override
    public void denied() {
        services.stats().permissionDenied.incrementAndGet();
    }

    @Override
    public void run() {
        boolean admitted = false;
        try {
            out = new MarkingOutput(socket.getOutputStream());
            identity = identify(socket);
            groups = UnixUsers.groupsOf(identity.user(), identity.gid());
            Optional<String> refusal = admit();
            if (refusal.isPresent()) {
                services.stats().connectionsRefused.incrementAndGet();
                closeReason = refusal.get();
                audit("refused", Map.of("reason", refusal.get()));
                Refusal.send(socket, "error: " + refusal.get());
                return;
            }
            admitted = true;
            services.stats().sessionsOpened.incrementAndGet();
            audit("open", Map.of("pid", identity.pid(), "role", startProfile.role().toString(), "shell", shellName()));
            log.info("session {} opened by {} (uid {}, pid {}) as {}", id, identity.user(), identity.uid(), identity.pid(),
                    startProfile.name());
            setSocketTimeout(limits.writeTimeout().toMillis()); // the banner and greeting are writes too
            stdio = new GuestStdio(limits.maxPendingInputBytes(), limits.maxOutputBytesPerStep());
            writeLine(banner());
            if (startShell()) {
                readLoop(socket.getInputStream());
            }
        } catch (IOException e) {
            if (killed) {
                // the killer set the reason
            } else if (writing && limits != null) {
                closeReason = "client did not read its output for " + limits.writeTimeout().toSeconds() + " s";
            } else {
                closeReason = "connection lost: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            closeReason = "internal error: " + e;
            log.error("session {} failed", id, e);
        } finally {
            closeShell();
            closeSocket();
            if (admitted) {
                log.info("session {} closed: {}", id, closeReason);
                audit("close", Map.of("reason", closeReason));
            }
            onClose.accept(this);
        }
    }

    /** Decides whether the peer gets a session; empty when it does, else why not. */
    private Optional<String> admit() {
        Optional<Profile> found = services.policy().current().profileFor(identity, groups);
        if (found.isEmpty()) {
            return Optional.of("uid " + identity.uid() + " (" + identity.user() + ") is not allowed to use this console;"
                    + " ask the service owner to add you to the policy");
        }
        startProfile = found.get();
        int open = server.sessionsOf(identity.uid());
        if (open > startProfile.sessions()) {
            return Optional.of("you already have " + (open - 1) + " session(s) open, your limit; close one first");
        }
        limits = startProfile.limits();
        tenant = startProfile.defaultTenant();
        Optional<ShellModule> first = allowedShell(services.defaultShell())
                .or(() -> services.shells().values().stream().filter(m -> startProfile.grantsShell(m.name())).findFirst());
        if (first.isEmpty()) {
            return Optional.of("your profile allows no shell this server offers");
        }
        shellModule = first.get();
        commandLimiter = limiter(startProfile.commandsPerSecond());
        byteLimiter = limiter(startProfile.bytesPerSecond());
        return Optional.empty();
    }

    private static RateLimiter limiter(double perSecond) {
        return Double.isInfinite(perSecond) ? null : RateLimiter.create(perSecond);
    }

    private Optional<ShellModule> allowedShell(String name) {
        return Optional.ofNullable(services.shells().get(name)).filter(m -> startProfile.grantsShell(m.name()));
    }

    private String banner() {
        Profile p = startProfile;
        return "opshell: connected as " + identity.user() + " (uid " + identity.uid() + "), role " + p.role() + ", tenant "
                + tenant + ", shell " + shellName() + "; limits: " + describeLimits(p) + "; \\help for host commands";
    }

    private static String describeLimits(Profile p) {
        SessionLimits l = p.limits();
        StringBuilder b = new StringBuilder();
        if (!Double.isInfinite(p.commandsPerSecond())) {
            b.append(fmt(p.commandsPerSecond())).append(" commands/s, ");
        }
        if (!Double.isInfinite(p.bytesPerSecond())) {
            b.append(fmt(p.bytesPerSecond() / 1024)).append(" KiB/s in, ");
        }
        return b.toString() + l.stepDeadline().toMillis() + " ms CPU/step, " + (l.maxMemoryBytes() >> 20) + " MiB memory, "
                + (l.maxOutputBytesPerStep() >> 10) + " KiB out/step, idle " + l.idleTimeout().toSeconds() + " s, session "
                + l.maxSessionLength().toSeconds() + " s";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.1f", d);
    }

    private void readLoop(InputStream in) throws IOException {
        byte[] chunk = new byte[FIRST_READ_CHUNK];
        long endNanos = openedNanos + limits.maxSessionLength().toNanos();
        long lastInputNanos = System.nanoTime();
        while (true) {
            int free = stdio.inputFree();
            if (free == 0) {
                closeReason = "shell stopped reading its input";
                writeLine("error: the shell stopped reading its input; closing the session");
                return;
            }
            long now = System.nanoTime();
            long lifeLeft = TimeUnit.NANOSECONDS.toMillis(endNanos - now);
            long idleLeft = TimeUnit.NANOSECONDS.toMillis(lastInputNanos + limits.idleTimeout().toNanos() - now);
            if (lifeLeft <= 0) {
                closeReason = "maximum session length";
                writeLine("error: sessions last at most " + limits.maxSessionLength().toSeconds() + " s; closing the session");
                return;
            }
            if (idleLeft <= 0) {
                closeReason = "idle timeout";
                writeLine("error: no input for " + limits.idleTimeout().toSeconds() + " s; closing the session");
                return;
            }
            // One socket timeout bounds reads and writes alike; it is normally the write timeout and
            // changes (a system call) only as the idle or session deadline comes closer.
            setSocketTimeout(Math.min(limits.writeTimeout().toMillis(), Math.min(idleLeft, lifeLeft)));
            writing = false;
            int n;
            try {
                n = in.read(chunk, 0, Math.min(chunk.length, free));
            } catch (SocketTimeoutException e) {
                continue; // the loop decides whether a deadline has passed
            }
            lastInputNanos = System.nanoTime();
            if (n < 0) {
                if (router.finish(this)) {
                    stdio.markEndOfInput();
                    step();
                }
                return;
            }
            if (byteLimiter != null && !byteLimiter.tryAcquire(n, MAX_RATE_DELAY.toMillis(), TimeUnit.MILLISECONDS)) {
                services.stats().rateLimited.incrementAndGet();
                writeLine("error: input faster than " + fmt(startProfile.bytesPerSecond()) + " bytes/s, your limit; "
                        + n + " bytes dropped, slow down");
                if (!promptAgain()) {
                    return;
                }
                continue;
            }
            if (!router.route(chunk, n, this)) {
                return;
            }
            if (n == chunk.length && chunk.length < MAX_READ_CHUNK) {
                chunk = new byte[chunk.length * 2];
            }
        }
    }

    @Override
    public boolean shellInput(byte[] buf, int off, int len) throws IOException {
        int lines = 0;
        for (int i = off; i < off + len; i++) {
            if (buf[i] == '\n') {
                lines++;
            }
        }
        if (lines > 0 && commandLimiter != null
                && !commandLimiter.tryAcquire(lines, MAX_RATE_DELAY.toMillis(), TimeUnit.MILLISECONDS)) {
            services.stats().rateLimited.incrementAndGet();
            writeLine("error: more than " + fmt(startProfile.commandsPerSecond()) + " commands/s, your limit; "
                    + lines + " lines dropped, slow down");
            return promptAgain();
        }
        commands += lines;
        services.stats().commands.addAndGet(lines);
        stdio.receive(buf, off, len);
        return step();
    }

    /** Runs one step; returns false when the session should end. */
    private boolean step() throws IOException {
        if (shell == null) {
            return false;
        }
        int control;
        try {
            control = shell.step();
            flushStep();
        } catch (ShellFault fault) {
            services.stats().traps.incrementAndGet();
            closeShell();
            stdio.flushOutput(out);
            stdio.discardInput();
            log.info("session {}: {}", id, fault.getMessage());
            if (stdio.endOfInput()) {
                closeReason = "shell fault at end of input";
                writeLine("error: " + fault.getMessage());
                return false;
            }
            writeLine("error: " + fault.getMessage() + "; starting a fresh shell (its definitions are lost)");
            return startShell();
        }
        if (control == Abi.STEP_CLOSE) {
            closeReason = stdio.endOfInput() ? "end of input" : "shell closed the session";
            return false;
        }
        return true;
    }

    @Override
    public boolean hostCommand(String command) throws IOException {
        if (command == null) {
            writeLine("error: host command longer than " + InputRouter.MAX_COMMAND_BYTES + " bytes, ignored");
            return promptAgain();
        }
        String[] words = command.trim().split("\\s+");
        String arg = words.length > 1 ? command.trim().substring(words[0].length()).trim() : "";
        Profile p;
        try {
            p = profile();
        } catch (AbiException e) {
            writeLine("error: the policy no longer admits you; closing the session");
            closeReason = "no longer admitted by the policy";
            return false;
        }
        switch (words[0]) {
            case "help", "?" -> writeLine(help(p));
            case "whoami" -> writeLine(whoamiText(p));
            case "shell" -> {
                if (arg.isEmpty()) {
                    writeLine("shells: " + String.join(", ", allowedShells(p)) + " (current: " + shellName() + ")");
                } else if (!services.shells().containsKey(arg) || !p.grantsShell(arg)) {
                    writeLine("error: no shell named '" + arg + "' for you; shells: " + String.join(", ", allowedShells(p)));
                } else {
                    closeShell();
                    stdio.discardInput();
                    shellModule = services.shells().get(arg);
                    writeLine("opshell: shell " + arg);
                    audit("shell", Map.of("shell", arg));
                    return startShell();
                }
            }
            case "tenant" -> {
                if (arg.isEmpty()) {
                    writeLine("tenants: " + String.join(", ", p.tenants()) + " (current: " + tenant + ")");
                } else if (!p.grantsTenant(arg)) {
                    denied();
                    writeLine("error: tenant '" + arg + "' is not granted to you; tenants: " + String.join(", ", p.tenants()));
                } else {
                    tenant = arg;
                    writeLine("opshell: tenant " + arg);
                    audit("tenant", Map.of());
                }
            }
            case "quit", "q", "exit" -> {
                closeReason = "operator quit";
                return false;
            }
            case "sessions", "kill", "reload", "stats" -> {
                if (!p.role().isAdmin()) {
                    denied();
                    writeLine("error: \\" + words[0] + " is for the admin role; yours is " + p.role());
                } else {
                    writeLine(admin.run(words[0], arg, this));
                }
            }
            default -> writeLine("error: unknown host command '\\" + words[0] + "'; \\help lists them");
        }
        return promptAgain();
    }

    private String help(Profile p) {
        String text = """
                host commands (a line starting with a backslash):
                  \\shell          list your shells
                  \\shell NAME     switch to shell NAME (a fresh instance)
                  \\tenant         list your tenants
                  \\tenant NAME    switch to tenant NAME
                  \\whoami         who you are, your role, tenants, shells and limits
                  \\help           this list
                  \\quit           close the session""";
        if (p.role().isAdmin()) {
            text += """

                    admin:
                      \\sessions       list open sessions
                      \\kill ID        end session ID
                      \\reload         reload the policy file
                      \\stats          counters: sessions, commands, refusals, traps""";
        }
        return text;
    }

    private String whoamiText(Profile p) {
        return "user " + identity.user() + " (uid " + identity.uid() + ", gid " + identity.gid() + ", pid " + identity.pid()
                + ")\nprofile " + p.name() + ", role " + p.role() + "\ntenant " + tenant + " (granted: "
                + String.join(", ", p.tenants()) + ")\nshell " + shellName() + " (allowed: " + String.join(", ", allowedShells(p))
                + ")\nlimits: " + describeLimits(p) + ", " + p.sessions() + " sessions";
    }

    private List<String> allowedShells(Profile p) {
        return services.shells().keySet().stream().filter(p::grantsShell).toList();
    }

    /** Host command output ends without the shell's prompt; an empty line makes the shell print it. */
    private boolean promptAgain() throws IOException {
        stdio.receive(EMPTY_LINE, 0, EMPTY_LINE.length);
        return step();
    }

    private boolean startShell() throws IOException {
        SessionStateAccess access = new SessionStateAccess(services.store(), this, services.probes(), services.audit(),
                services.maxKeysListed());
        try {
            shell = ShellInstance.start(shellModule, stdio, access, limits.stepDeadline(),
                    limits.maxMemoryBytes());
            shell.init();
            flushStep();
            return true;
        } catch (ShellFault fault) {
            services.stats().traps.incrementAndGet();
            closeShell();
            stdio.flushOutput(out);
            closeReason = "shell failed to start: " + fault.getMessage();
            writeLine("error: the shell failed to start: " + fault.getMessage() + "; closing the session");
            return false;
        }
    }

    private void closeShell() {
        if (shell != null) {
            shell.close();
            shell = null;
        }
    }

    private void setSocketTimeout(long millis) throws IOException {
        int value = Math.toIntExact(Math.max(1, millis));
        if (value != socketTimeoutMillis) {
            socket.setSoTimeout(value);
            socketTimeoutMillis = value;
        }
    }

    /** The socket's output; marks that a write is under way, so a timeout is named as the client's not reading. */
    private final class MarkingOutput extends java.io.FilterOutputStream {
        MarkingOutput(OutputStream socketOut) {
            super(socketOut);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writing = true;
            out.write(b, off, len);
        }
    }

    private void flushStep() throws IOException {
        long dropped = stdio.outputDropped();
        stdio.flushOutput(out);
        if (dropped > 0) {
            writeLine("\nerror: output cut after " + stdio.outputCapacity() + " bytes (the per-step limit); "
                    + dropped + " bytes dropped");
        }
    }

    private void writeLine(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private void audit(String event, Map<String, Object> extra) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("session", id);
        f.put("user", identity.user());
        f.put("uid", identity.uid());
        if (tenant != null) {
            f.put("tenant", tenant);
        }
        f.putAll(extra);
        try {
            services.audit().record(event, f);
        } catch (RuntimeException e) {
            log.error("session {}: audit record '{}' failed", id, event, e);
        }
    }

    private void closeSocket() {
        if (killed) {
            try {
                socket.close();
            } catch (IOException e) {
                log.debug("session {}: close failed", id, e);
            }
        } else {
            Refusal.closeGracefully(socket);
        }
    }

    private static OperatorIdentity identify(AFUNIXSocket socket) throws IOException {
        AFUNIXSocketCredentials creds = socket.getPeerCredentials();
        long uid = creds.getUid();
        return new OperatorIdentity(uid, creds.getGid(), creds.getPid(), UnixUsers.nameOf(uid));
    }

    /**
     * Ends the session from another thread: tells the operator, then closes the socket, which
     * ends the session's blocked read (a running step ends by its deadline first).
     */
    public void kill(String reason) {
        killed = true;
        closeReason = reason;
        try {
            OutputStream o = out;
            if (o != null) {
                o.write(("\nerror: " + reason + "; closing the session\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            log.debug("session {}: could not tell the operator", id, e);
        }
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("session {}: close failed", id, e);
        }
    }
}
