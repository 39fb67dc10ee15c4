package io.opshell.host.session;

import io.opshell.abi.Abi;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.SessionLimits;
import io.opshell.host.wasm.GuestStdio;
import io.opshell.host.wasm.ShellFault;
import io.opshell.host.wasm.ShellInstance;
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
 * shell instance as one bounded step, and sends the step's output back in one write. A shell
 * fault is reported in-band and the shell is replaced; the connection stays.
 */
public final class Session implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** Largest chunk read from the socket for one step. */
    static final int READ_CHUNK = 64 * 1024;

    private final long id;
    private final AFUNIXSocket socket;
    private final SessionServices services;
    private final Consumer<Session> onClose;
    private volatile String closeReason = "client closed the connection";
    private volatile OperatorIdentity identity;

    public Session(long id, AFUNIXSocket socket, SessionServices services, Consumer<Session> onClose) {
        this.id = id;
        this.socket = socket;
        this.services = services;
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
        ShellInstance shell = null;
        try (socket) {
            identity = identify(socket);
            log.info("session {} opened by {} (uid {}, pid {})", id, identity.user(), identity.uid(), identity.pid());
            SessionLimits limits = services.limits();
            socket.setSoTimeout(Math.toIntExact(limits.idleTimeout().toMillis()));
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            GuestStdio stdio = new GuestStdio(limits.maxPendingInputBytes(), limits.maxOutputBytesPerStep());
            SessionStateAccess access = new SessionStateAccess(services.store(), services.tenant(), identity,
                    services.shell().name(), services.probes(), limits.maxKeysListed());

            writeLine(out, "opshell: connected as " + identity.user() + " (uid " + identity.uid() + "), tenant "
                    + services.tenant() + ", shell " + services.shell().name());
            shell = startShell(stdio, access, out);
            byte[] chunk = new byte[READ_CHUNK];
            while (shell != null) {
                int free = stdio.inputFree();
                if (free == 0) {
                    closeReason = "shell stopped reading its input";
                    writeLine(out, "error: the shell stopped reading its input; closing the session");
                    break;
                }
                int n;
                try {
                    n = in.read(chunk, 0, Math.min(chunk.length, free));
                } catch (SocketTimeoutException e) {
                    closeReason = "idle timeout";
                    writeLine(out, "error: no input for " + limits.idleTimeout().toSeconds() + " s; closing the session");
                    break;
                }
                if (n < 0) {
                    stdio.markEndOfInput();
                } else {
                    stdio.receive(chunk, 0, n);
                }
                int control;
                try {
                    control = shell.step();
                    flushStep(stdio, out);
                } catch (ShellFault fault) {
                    shell.close();
                    shell = null;
                    stdio.flushOutput(out);
                    stdio.discardInput();
                    if (stdio.endOfInput()) {
                        writeLine(out, "error: " + fault.getMessage());
                        closeReason = "shell fault at end of input";
                        break;
                    }
                    writeLine(out, "error: " + fault.getMessage() + "; starting a fresh shell (its definitions are lost)");
                    log.info("session {}: {}", id, fault.getMessage());
                    shell = startShell(stdio, access, out);
                    continue;
                }
                if (control == Abi.STEP_CLOSE) {
                    closeReason = stdio.endOfInput() ? "end of input" : "shell closed the session";
                    break;
                }
            }
        } catch (IOException e) {
            closeReason = "connection lost: " + e.getMessage();
        } catch (RuntimeException e) {
            closeReason = "internal error: " + e;
            log.error("session {} failed", id, e);
        } finally {
            if (shell != null) {
                shell.close();
            }
            log.info("session {} closed: {}", id, closeReason);
            onClose.accept(this);
        }
    }

    private ShellInstance startShell(GuestStdio stdio, SessionStateAccess access, OutputStream out) throws IOException {
        SessionLimits limits = services.limits();
        ShellInstance shell = null;
        try {
            shell = ShellInstance.start(services.runtime(), services.shell(), stdio, access, limits.stepDeadline(),
                    limits.maxMemoryBytes());
            shell.init();
            flushStep(stdio, out);
            return shell;
        } catch (ShellFault fault) {
            if (shell != null) {
                shell.close();
            }
            stdio.flushOutput(out);
            closeReason = "shell failed to start: " + fault.getMessage();
            writeLine(out, "error: the shell failed to start: " + fault.getMessage() + "; closing the session");
            return null;
        }
    }

    private static void flushStep(GuestStdio stdio, OutputStream out) throws IOException {
        long dropped = stdio.outputDropped();
        stdio.flushOutput(out);
        if (dropped > 0) {
            writeLine(out, "\nerror: output cut after " + stdio.outputCapacity() + " bytes (the per-step limit); "
                    + dropped + " bytes dropped");
        }
    }

    private static void writeLine(OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static OperatorIdentity identify(AFUNIXSocket socket) throws IOException {
        AFUNIXSocketCredentials creds = socket.getPeerCredentials();
        long uid = creds.getUid();
        return new OperatorIdentity(uid, creds.getGid(), creds.getPid(), UnixUsers.nameOf(uid));
    }

    /** Ends the session from outside (server shutdown): closing the socket ends its read. */
    public void kill(String reason) {
        closeReason = reason;
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("session {}: close failed", id, e);
        }
    }
}
