package io.opshell.server;

import io.opshell.host.OpshellServer;
import io.opshell.host.SessionLimits;
import io.opshell.host.net.UnixSocketListener;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.wasm.ShellLoadException;
import io.opshell.store.Quota;
import io.opshell.store.StateStore;
import io.opshell.store.StateStores;
import io.opshell.store.StoreUnavailableException;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code opshell} command: a thin layer over {@link OpshellServer}. */
@Command(name = "opshell", mixinStandardHelpOptions = true, version = "opshell 0.1.0",
        description = "Sandboxed operator shells into live state, over a Unix socket.",
        subcommands = {OpshellCli.Serve.class})
public final class OpshellCli {
    private static final long MIB = 1024 * 1024;

    public static void main(String[] args) {
        System.exit(new CommandLine(new OpshellCli()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Run the standalone server in the foreground until SIGINT or SIGTERM; state is kept in --store.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--socket", defaultValue = "opshell.sock", description = "socket path (default: ${DEFAULT-VALUE})")
        Path socket;

        @Option(names = "--socket-mode", defaultValue = "rw-------",
                description = "socket file permissions, e.g. rw-rw---- to admit the group (default: ${DEFAULT-VALUE})")
        String socketMode;

        @Option(names = "--shell", defaultValue = "kv", description = "shell each connection gets (default: ${DEFAULT-VALUE})")
        String shell;

        @Option(names = "--tenant", defaultValue = "default", description = "state namespace sessions use (default: ${DEFAULT-VALUE})")
        String tenant;

        @Option(names = "--step-ms", defaultValue = "1000", description = "CPU time limit per shell step, ms (default: ${DEFAULT-VALUE})")
        long stepMillis;

        @Option(names = "--memory-mib", defaultValue = "64", description = "guest memory limit per session, MiB (default: ${DEFAULT-VALUE})")
        long memoryMib;

        @Option(names = "--output-kib", defaultValue = "1024", description = "output one shell step may produce, KiB (default: ${DEFAULT-VALUE})")
        int outputKib;

        @Option(names = "--idle-timeout-s", defaultValue = "1800", description = "close sessions idle this long, s (default: ${DEFAULT-VALUE})")
        long idleSeconds;

        @Option(names = "--write-timeout-s", defaultValue = "30", description = "disconnect clients that do not read their output for this long, s (default: ${DEFAULT-VALUE})")
        long writeTimeoutSeconds;

        @Option(names = "--max-sessions", defaultValue = "256", description = "connections served at once (default: ${DEFAULT-VALUE})")
        int maxSessions;

        @Option(names = "--max-session-s", defaultValue = "43200", description = "close sessions this long after they opened, s (default: ${DEFAULT-VALUE})")
        long maxSessionSeconds;

        @Option(names = "--policy", description = "policy file (YAML): who may connect and with which rights; "
                + "reloaded on SIGHUP or \\reload. Without one, whoever the socket mode admits is admin of --tenant")
        Path policy;

        @Option(names = "--audit", defaultValue = "opshell-audit.jsonl", description = "audit log, JSON lines, appended (default: ${DEFAULT-VALUE})")
        Path audit;

        @Option(names = "--audit-fsync", description = "force every audit record to disk before acknowledging the change")
        boolean auditFsync;

        @Option(names = "--store", defaultValue = "sqlite:opshell-state.db", description = "where state is kept: "
                + "sqlite:PATH (one host; survives restarts), redis://HOST:PORT[/DB] or redis+unix:///PATH (a fleet "
                + "sharing one Redis), memory (lost on exit) (default: ${DEFAULT-VALUE})")
        String store;

        @Option(names = "--fsync", description = "force every state change to disk before acknowledging it (survives power "
                + "loss; sqlite: synchronous=FULL; redis: the server must run with appendfsync always)")
        boolean fsync;

        @Option(names = "--tenant-quota-mib", defaultValue = "256", description = "bytes of keys and values one tenant may "
                + "hold, MiB; a policy profile may set its own (limits: store-mib) (default: ${DEFAULT-VALUE})")
        long tenantQuotaMib;

        @Option(names = "--state-calls-per-second", defaultValue = "1000", description = "state calls (get, set, add, "
                + "...) one session may make per second; more are refused as rate limited (default: ${DEFAULT-VALUE})")
        double stateCallsPerSecond;

        @Override
        public Integer call() throws InterruptedException {
            SessionLimits limits = SessionLimits.DEFAULT
                    .withStepDeadline(Duration.ofMillis(stepMillis))
                    .withMaxMemoryBytes(memoryMib * 1024 * 1024)
                    .withMaxOutputBytesPerStep(Math.multiplyExact(outputKib, 1024))
                    .withIdleTimeout(Duration.ofSeconds(idleSeconds))
                    .withMaxSessionLength(Duration.ofSeconds(maxSessionSeconds))
                    .withWriteTimeout(Duration.ofSeconds(writeTimeoutSeconds))
                    .withTenantQuota(Quota.DEFAULT.withMaxBytes(Math.multiplyExact(tenantQuotaMib, MIB)))
                    .withStateCallsPerSecond(stateCallsPerSecond);
            StateStore state;
            try {
                state = StateStores.open(store, fsync);
            } catch (IllegalArgumentException | StoreUnavailableException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
            OpshellServer server;
            try {
                OpshellServer.Builder builder = OpshellServer.builder()
                        .socket(socket)
                        .socketMode(PosixFilePermissions.fromString(socketMode))
                        .defaultShell(shell)
                        .tenant(tenant)
                        .limits(limits)
                        .maxSessions(maxSessions)
                        .store(state)
                        .audit(audit, auditFsync);
                if (policy != null) {
                    builder.policyFile(policy);
                }
                server = builder.start();
            } catch (UnixSocketListener.SocketInUseException e) {
                state.close();
                System.err.println("error: " + e.getMessage());
                return 2;
            } catch (IOException | ShellLoadException | PolicyException | IllegalArgumentException e) {
                state.close();
                System.err.println("error: " + e.getMessage());
                return 1;
            }
            Signals.onTermination(server::close);
            OpshellServer running = server;
            if (policy != null) {
                Signals.onReload(() -> {
                    try {
                        System.err.println("opshell: " + running.reloadPolicy());
                    } catch (PolicyException e) {
                        System.err.println("error: " + e.getMessage() + "; the previous policy stays in force");
                    }
                });
            }
            System.out.println("opshell listening on " + server.socketPath() + " (shells: "
                    + String.join(", ", server.shells()) + "; default " + shell + ")");
            System.out.println("state: " + store + (fsync ? " (fsync)" : "") + "; audit log: " + audit.toAbsolutePath()
                    + (auditFsync ? " (fsync)" : "") + (policy != null ? "; policy: " + policy : ""));
            System.out.println("connect with: scripts/connect " + socket + "   (or: socat READLINE UNIX-CONNECT:" + socket
                    + "; Debian's socat lacks READLINE: rlwrap socat - UNIX-CONNECT:" + socket + ")");
            System.out.flush();
            server.awaitTermination();
            System.out.println("opshell stopped");
            return 0;
        }
    }
}
