package io.opshell.host.session;

import io.opshell.abi.Abi;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.SessionLimits;
import io.opshell.host.wasm.GuestStdio;
import io.opshell.host.wasm.ShellFault;
import io.opshell.host.wasm.ShellInstance;
import io.opshell.host.wasm.ShellModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One operator connection, run on its own thread: reads input in chunks, gives each chunk to the
 * shell instance as one bounded step, and sends the step's output back in one write. Lines
 * starting with a backslash are host commands ({@code \shell NAME}, {@code \help}, {@code \quit}).
 * A shell fault is reported in-band and the shell is replaced; the connection stays.
 */
public final class Session implements Runnable, InputRouter.Sink {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** Largest chunk read from the socket for one step. */
    static final int MAX_READ_CHUNK = 64 * 1024;
    /** The read buffer starts this small and doubles while reads fill it (idle sessions stay cheap). */
    static final int FIRST_READ_CHUNK = 4 * 1024;
    private static final byte[] EMPTY_LINE = {'\n'};

    private final long id;
    private final AFUNIXSocket socket;
    private final SessionServices services;
    private final SessionLimits limits;
    private final Consumer<Session> onClose;
    private final InputRouter router = new InputRouter();
    private volatile String closeReason = "client closed the connection";
    private volatile OperatorIdentity identity;
    private volatile boolean killed;

    private volatile OutputStream out;
    private GuestStdio stdio;
    private ShellModule shellModule;
    private ShellInstance shell;

    public Session(long id, AFUNIXSocket socket, SessionServices services, Consumer<Session> onClose) {
        this.id = id;
        this.socket = socket;
        this.services = services;
        this.limits = services.limits();
        this.onClose = onClose;
    }

    public long id() {
        return id;
    }

    /** The operator, once the session has read the peer's credentials. */
    public OperatorIdentity identity() {
        return identity;
    }

    @Override
    public void run() {
        try (socket) {
            identity = identify(socket);
            log.info("session {} opened by {} (uid {}, pid {})", id, identity.user(), identity.uid(), identity.pid());
            socket.setSoTimeout(Math.toIntExact(limits.idleTimeout().toMillis()));
            InputStream in = socket.getInputStream();
            out = socket.getOutputStream();
            stdio = new GuestStdio(limits.maxPendingInputBytes(), limits.maxOutputBytesPerStep());
            shellModule = services.shells().get(services.defaultShell());
            writeLine("opshell: connected as " + identity.user() + " (uid " + identity.uid() + "), tenant "
                    + services.tenant() + ", shell " + shellModule.name() + "; \\help for host commands");
            if (startShell()) {
                readLoop(in);
            }
        } catch (IOException e) {
            if (!killed) {
                closeReason = "connection lost: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            closeReason = "internal error: " + e;
            log.error("session {} failed", id, e);
        } finally {
            closeShell();
            log.info("session {} closed: {}", id, closeReason);
            onClose.accept(this);
        }
    }

    private void readLoop(InputStream in) throws IOException {
        byte[] chunk = new byte[FIRST_READ_CHUNK];
        while (true) {
            int free = stdio.inputFree();
            if (free == 0) {
                closeReason = "shell stopped reading its input";
                writeLine("error: the shell stopped reading its input; closing the session");
                return;
            }
            int n;
            try {
                n = in.read(chunk, 0, Math.min(chunk.length, free));
            } catch (SocketTimeoutException e) {
                closeReason = "idle timeout";
                writeLine("error: no input for " + limits.idleTimeout().toSeconds() + " s; closing the session");
                return;
            }
            if (n < 0) {
                if (router.finish(this)) {
                    stdio.markEndOfInput();
                    step();
                }
                return;
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
        switch (words[0]) {
            case "help", "?" -> writeLine("""
                    host commands (a line starting with a backslash):
                      \\shell          list the shells
                      \\shell NAME     switch to shell NAME (a fresh instance)
                      \\help           this list
                      \\quit           close the session""");
            case "shell" -> {
                if (words.length == 1) {
                    writeLine("shells: " + String.join(", ", services.shells().keySet()) + " (current: " + shellModule.name() + ")");
                } else {
                    ShellModule next = services.shells().get(words[1]);
                    if (next == null || words.length > 2) {
                        writeLine("error: no shell named '" + command.trim().substring(5).trim() + "'; shells: "
                                + String.join(", ", services.shells().keySet()));
                    } else {
                        closeShell();
                        stdio.discardInput();
                        shellModule = next;
                        writeLine("opshell: shell " + next.name());
                        return startShell();
                    }
                }
            }
            case "quit", "q", "exit" -> {
                closeReason = "operator quit";
                return false;
            }
            default -> writeLine("error: unknown host command '\\" + words[0] + "'; \\help lists them");
        }
        return promptAgain();
    }

    /** Host command output ends without the shell's prompt; an empty line makes the shell print it. */
    private boolean promptAgain() throws IOException {
        return shellInput(EMPTY_LINE, 0, EMPTY_LINE.length);
    }

    private boolean startShell() throws IOException {
        SessionStateAccess access = new SessionStateAccess(services.store(), services.tenant(), identity,
                shellModule.name(), services.probes(), limits.maxKeysListed());
        try {
            shell = ShellInstance.start(services.runtime(), shellModule, stdio, access, limits.stepDeadline(),
                    limits.maxMemoryBytes());
            shell.init();
            flushStep();
            return true;
        } catch (ShellFault fault) {
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
