package io.opshell.server;

import io.opshell.host.OpshellServer;
import io.opshell.host.SessionLimits;
import io.opshell.host.net.UnixSocketListener;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.wasm.ShellLoadException;
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
    public static void main(String[] args) {
        System.exit(new CommandLine(new OpshellCli()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Run the standalone server in the foreground (in-memory state) until SIGINT or SIGTERM.")
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

        @Option(names = "--engine", description = "WebAssembly engine: wasmtime (default) or chicory (pure Java, fastest; "
                + "give the JVM -XX:-DontCompileHugeMethods and -Xss4m, as scripts/run does)")
        String engine;

        @Option(names = "--pool", defaultValue = "" + OpshellServer.DEFAULT_POOL,
                description = "instances of each shell kept ready ahead of demand; 0: none (default: ${DEFAULT-VALUE})")
        int pool;

        @Option(names = "--max-session-s", defaultValue = "43200", description = "close sessions this long after they opened, s (default: ${DEFAULT-VALUE})")
        long maxSessionSeconds;

        @Option(names = "--policy", description = "policy file (YAML): who may connect and with which rights; "
                + "reloaded on SIGHUP or \\reload. Without one, whoever the socket mode admits is admin of --tenant")
        Path policy;

        @Option(names = "--audit", defaultValue = "opshell-audit.jsonl", description = "audit log, JSON lines, appended (default: ${DEFAULT-VALUE})")
        Path audit;

        @Option(names = "--audit-fsync", description = "force every audit record to disk before acknowledging the change")
        boolean auditFsync;

        @Override
        public Integer call() throws InterruptedException {
            SessionLimits limits = SessionLimits.DEFAULT
                    .withStepDeadline(Duration.ofMillis(stepMillis))
                    .withMaxMemoryBytes(memoryMib * 1024 * 1024)
                    .withMaxOutputBytesPerStep(Math.multiplyExact(outputKib, 1024))
                    .withIdleTimeout(Duration.ofSeconds(idleSeconds))
                    .withMaxSessionLength(Duration.ofSeconds(maxSessionSeconds))
                    .withWriteTimeout(Duration.ofSeconds(writeTimeoutSeconds));
            OpshellServer server;
            try {
                OpshellServer.Builder builder = OpshellServer.builder()
                        .socket(socket)
                        .socketMode(PosixFilePermissions.fromString(socketMode))
                        .defaultShell(shell)
                        .tenant(tenant)
                        .limits(limits)
                        .maxSessions(maxSessions)
                        .pool(pool)
                        .audit(audit, auditFsync);
                if (engine != null) {
                    builder.engine(engine);
                }
                if (policy != null) {
                    builder.policyFile(policy);
                }
                server = builder.start();
            } catch (UnixSocketListener.SocketInUseException e) {
                System.err.println("error: " + e.getMessage());
                return 2;
            } catch (IOException | ShellLoadException | PolicyException | IllegalArgumentException e) {
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
                    + String.join(", ", server.shells()) + "; default " + shell + "; engine " + server.engineName()
                    + ", at most " + server.maxSessions() + " sessions)");
            System.out.println("audit log: " + audit.toAbsolutePath() + (policy != null ? "; policy: " + policy : ""));
            System.out.println("connect with: scripts/connect " + socket + "   (or: socat READLINE UNIX-CONNECT:" + socket
                    + "; Debian's socat lacks READLINE: rlwrap socat - UNIX-CONNECT:" + socket + ")");
            System.out.flush();
            server.awaitTermination();
            System.out.println("opshell stopped");
            return 0;
        }
    }
}
