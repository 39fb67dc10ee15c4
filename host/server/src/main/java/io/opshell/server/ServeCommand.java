package io.opshell.server;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opshell.host.OpshellServer;
import io.opshell.host.SessionLimits;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.store.Quota;
import io.opshell.store.StateStore;
import io.opshell.store.StateStores;
import io.opshell.store.StoreUnavailableException;
import io.opshell.host.SetupException;
import io.opshell.host.net.UnixSocketListener;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.wasm.ShellLoadException;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opshell serve}: the standalone server in the foreground (state kept in {@code --store}) until SIGINT or
 * SIGTERM; SIGHUP reloads. Reads the options, sets up logging and metrics, starts an
 * {@link OpshellServer}, tells systemd when it is ready. A setting that cannot work stops the
 * start with one line, {@code error: --OPTION VALUE: what is wrong; what to do}, exit status 1
 * (2 for a socket a live server holds). Options are documented in README.md, "The server".
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run the standalone server in the foreground (state kept in --store) until SIGINT or SIGTERM; "
                + "SIGHUP reloads the policy and reopens the audit log and log files.")
public class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
    static final int FAILED = 1;
    static final int SOCKET_IN_USE = 2;
    /** The JMX domain the meters appear under (jconsole: MBeans, opshell). */
    private static final String JMX_DOMAIN = "opshell";

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = "opshell.sock", description = "socket path (default: ${DEFAULT-VALUE})")
    Path socket;

    @Option(names = "--socket-mode", paramLabel = "PERMS", defaultValue = "rw-------",
            description = "socket file permissions, nine characters like rw-rw---- (default: ${DEFAULT-VALUE})")
    String socketMode;

    @Option(names = "--socket-group", paramLabel = "GROUP",
            description = "give the socket file to this group (name or gid); with --socket-mode rw-rw---- only its members can connect")
    String socketGroup;

    @Option(names = "--shell", paramLabel = "NAME", defaultValue = "kv", description = "shell each connection gets (default: ${DEFAULT-VALUE})")
    String shell;

    @Option(names = "--tenant", paramLabel = "NAME", defaultValue = "default", description = "state namespace sessions use (default: ${DEFAULT-VALUE})")
    String tenant;

    @Option(names = "--step-ms", paramLabel = "N", defaultValue = "1000", description = "CPU time limit per shell step, ms (default: ${DEFAULT-VALUE})")
    long stepMillis;

    @Option(names = "--memory-mib", paramLabel = "N", defaultValue = "64", description = "guest memory limit per session, MiB (default: ${DEFAULT-VALUE})")
    long memoryMib;

    @Option(names = "--output-kib", paramLabel = "N", defaultValue = "1024", description = "output one shell step may produce, KiB (default: ${DEFAULT-VALUE})")
    int outputKib;

    @Option(names = "--idle-timeout-s", paramLabel = "N", defaultValue = "1800", description = "close sessions idle this long, s (default: ${DEFAULT-VALUE})")
    long idleSeconds;

    @Option(names = "--write-timeout-s", paramLabel = "N", defaultValue = "30", description = "disconnect clients that do not read their output for this long, s (default: ${DEFAULT-VALUE})")
    long writeTimeoutSeconds;

    @Option(names = "--line-kib", paramLabel = "N", defaultValue = "64", description = "longest input line, KiB; a longer "
            + "one is dropped whole and reported (default: ${DEFAULT-VALUE})")
    int lineKib;

    @Option(names = "--line-timeout-s", paramLabel = "N", defaultValue = "60", description = "a line begun must be ended "
            + "(its newline sent) within this long, s; else the session is closed (default: ${DEFAULT-VALUE})")
    long lineTimeoutSeconds;

    @Option(names = "--input-kib", paramLabel = "N", defaultValue = "1024", description = "input received but not yet "
            + "taken by the shell, KiB; more ends the session (default: ${DEFAULT-VALUE})")
    int inputKib;

    @Option(names = "--max-keys", paramLabel = "N", defaultValue = "10000", description = "most keys one listing returns; "
            + "more is an error asking for a longer prefix (default: ${DEFAULT-VALUE})")
    int maxKeys;

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "256", description = "connections served at once (default: ${DEFAULT-VALUE})")
    int maxSessions;

    @Option(names = "--engine", paramLabel = "NAME", description = "WebAssembly engine: wasmtime (the default) or chicory "
            + "(pure Java, fastest; give the JVM -XX:-DontCompileHugeMethods and -Xss4m, as scripts/run does)")
    String engine;

    @Option(names = "--pool", paramLabel = "N", defaultValue = "" + OpshellServer.DEFAULT_POOL,
            description = "instances of each shell kept ready ahead of demand; 0: none (default: ${DEFAULT-VALUE})")
    int pool;

    @Option(names = "--max-session-s", paramLabel = "N", defaultValue = "43200", description = "close sessions this long after they opened, s (default: ${DEFAULT-VALUE})")
    long maxSessionSeconds;

    @Option(names = "--policy", paramLabel = "FILE", description = "policy file (YAML): who may connect and with which rights; "
            + "reloaded on SIGHUP or \\reload. Without one, whoever the socket mode admits is admin of --tenant")
    Path policy;

    @Option(names = "--audit", paramLabel = "FILE", description = "audit log, JSON lines, appended (default: $STATE_DIRECTORY/audit.jsonl"
            + " under systemd, else ~/.local/state/opshell/audit.jsonl); reopened on SIGHUP")
    Path audit;

    @Option(names = "--audit-fsync", description = "force every audit record to disk before acknowledging the change")
    boolean auditFsync;

    @Option(names = "--store", paramLabel = "SPEC", description = "where state is kept: sqlite:PATH (one host; survives "
            + "restarts and kill -9), redis://HOST:PORT[/DB] or redis+unix:///PATH (a fleet sharing one Redis), memory (lost "
            + "on exit) (default: sqlite:state.db in the directory of the default audit log)")
    String store;

    /** The store in use, for the ready lines. */
    private String storeSpec;

    @Option(names = "--fsync", description = "force every state change to disk before acknowledging it (survives power "
            + "loss; sqlite: synchronous=FULL; redis: the server must run with appendfsync always)")
    boolean fsync;

    @Option(names = "--tenant-quota-mib", paramLabel = "N", defaultValue = "256", description = "bytes of keys and values "
            + "one tenant may hold, MiB; a policy profile may set its own (limits: store-mib) (default: ${DEFAULT-VALUE})")
    long tenantQuotaMib;

    @Option(names = "--tenant-quota-entries", paramLabel = "N", defaultValue = "" + Quota.DEFAULT_MAX_ENTRIES,
            description = "entries one tenant may hold (default: ${DEFAULT-VALUE})")
    long tenantQuotaEntries;

    @Option(names = "--state-calls-per-second", paramLabel = "N", defaultValue = "1000", description = "state calls (get, "
            + "set, add, ...) one session may make per second; more are refused as rate limited (default: ${DEFAULT-VALUE})")
    double stateCallsPerSecond;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
            description = "serve Prometheus metrics at http://HOST:PORT/metrics (default: off); e.g. 127.0.0.1:9404")
    String metricsListen;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "trace, debug, info, warn or error (default: info,"
            + " or $OPSHELL_LOG_LEVEL)")
    String logLevel;

    @Option(names = "--log-file", paramLabel = "FILE", description = "write the log to FILE (appended) instead of standard error;"
            + " reopened on SIGHUP")
    Path logFile;

    @Option(names = "--log-config", paramLabel = "FILE", description = "a logback XML configuration replacing the built-in one")
    Path logConfig;

    /** Where a command built on {@code serve} adds to the server (the demo adds its fields and actions). */
    protected OpshellServer.Builder customize(OpshellServer.Builder builder) {
        return builder;
    }

    @Override
    public Integer call() throws InterruptedException {
        MetricsEndpoint endpoint = null;
        JmxMeterRegistry jmx = null;
        OpshellServer server;
        Path auditFile;
        StateStore state = null;
        try {
            if (logConfig != null) {
                Logging.configure(logConfig);
            }
            if (logLevel != null) {
                Logging.level(logLevel);
            }
            if (logFile != null) {
                Logging.toFile(logFile);
            }
            Set<PosixFilePermission> mode = socketMode();
            SessionLimits limits = limits();
            auditFile = audit != null ? audit : DefaultPaths.audit();
            state = openStore(store != null ? store : DefaultPaths.store());
            CompositeMeterRegistry registries = new CompositeMeterRegistry();
            jmx = jmxRegistry();
            registries.add(jmx);
            if (metricsListen != null) {
                PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                registries.add(prometheus);
                endpoint = MetricsEndpoint.start(ListenAddress.parse(metricsListen), prometheus);
            }
            bindJvmMetrics(registries);
            OpshellServer.Builder builder = OpshellServer.builder()
                    .socket(socket)
                    .socketMode(mode)
                    .defaultShell(shell)
                    .tenant(tenant)
                    .limits(limits)
                    .maxSessions(maxSessions)
                    .pool(pool)
                    .audit(auditFile, auditFsync)
                    .store(state)
                    .meterRegistry(registries);
            if (socketGroup != null) {
                builder.socketGroup(socketGroup);
            }
            if (engine != null) {
                builder.engine(engine);
            }
            if (policy != null) {
                builder.policyFile(policy);
            }
            server = customize(builder).start();
            server.metrics().bindStepTotals(jmx);
        } catch (UnixSocketListener.SocketInUseException e) {
            close(endpoint, jmx, state);
            return fail("--" + e.getMessage(), SOCKET_IN_USE);
        } catch (SetupException | PolicyException e) {
            close(endpoint, jmx, state);
            return fail("--" + e.getMessage(), FAILED);
        } catch (IOException | ShellLoadException | IllegalArgumentException e) {
            close(endpoint, jmx, state);
            return fail(e.getMessage(), FAILED);
        }
        try {
            SystemdNotifier systemd = SystemdNotifier.fromEnvironment();
            OpshellServer running = server;
            Signals.onTermination(() -> {
                systemd.stopping();
                running.close();
            });
            Signals.onHangup(() -> hangup(running, auditFile, systemd));
            announce(server, auditFile, endpoint);
            systemd.ready("serving " + server.socketPath());
            server.awaitTermination();
        } catch (RuntimeException e) {
            log.error("the server failed and stops", e);
            server.close(); // tells operators, removes the socket
            close(endpoint, jmx);
            return FAILED;
        }
        close(endpoint, jmx);
        log.info("opshell stopped");
        return 0;
    }

    private Set<PosixFilePermission> socketMode() throws SetupException {
        Set<PosixFilePermission> mode;
        try {
            mode = PosixFilePermissions.fromString(socketMode);
        } catch (IllegalArgumentException e) {
            throw new SetupException("socket-mode", socketMode, "expected nine characters like rw-rw---- (r, w or - for the"
                    + " owner, the group and others), not an octal number");
        }
        if (socketGroup != null && !mode.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new SetupException("socket-group", socketGroup, "the socket mode " + socketMode + " gives the group no write"
                    + " permission, so its members cannot connect; add --socket-mode rw-rw----");
        }
        return mode;
    }

    /** The limits the options give, each option checked on its own so that a bad one is named. */
    private SessionLimits limits() throws SetupException {
        atLeast("step-ms", stepMillis, 1);
        atLeast("memory-mib", memoryMib, 1);
        atLeast("output-kib", outputKib, 1);
        atLeast("idle-timeout-s", idleSeconds, 1);
        atLeast("max-session-s", maxSessionSeconds, 1);
        atLeast("write-timeout-s", writeTimeoutSeconds, 1);
        atLeast("line-kib", lineKib, 1);
        atLeast("line-timeout-s", lineTimeoutSeconds, 1);
        atLeast("input-kib", inputKib, 1);
        atLeast("max-keys", maxKeys, 1);
        atLeast("tenant-quota-mib", tenantQuotaMib, 1);
        atLeast("tenant-quota-entries", tenantQuotaEntries, 1);
        if (lineKib > inputKib) {
            throw new SetupException("line-kib", Integer.toString(lineKib), "a line cannot be longer than the pending input"
                    + " a session may hold (--input-kib " + inputKib + "); lower it or raise --input-kib");
        }
        if (!(stateCallsPerSecond > 0)) {
            throw new SetupException("state-calls-per-second", Double.toString(stateCallsPerSecond), "must be above 0"
                    + " (Infinity for no limit)");
        }
        return SessionLimits.DEFAULT
                .withStepDeadline(Duration.ofMillis(stepMillis))
                .withMaxMemoryBytes(Math.multiplyExact(memoryMib, 1024L * 1024))
                .withMaxOutputBytesPerStep(Math.multiplyExact(outputKib, 1024))
                .withInputBounds(Math.multiplyExact(inputKib, 1024), Math.multiplyExact(lineKib, 1024))
                .withLineTimeout(Duration.ofSeconds(lineTimeoutSeconds))
                .withMaxKeysListed(maxKeys)
                .withIdleTimeout(Duration.ofSeconds(idleSeconds))
                .withMaxSessionLength(Duration.ofSeconds(maxSessionSeconds))
                .withWriteTimeout(Duration.ofSeconds(writeTimeoutSeconds))
                .withTenantQuota(new Quota(tenantQuotaEntries, Math.multiplyExact(tenantQuotaMib, 1024L * 1024)))
                .withStateCallsPerSecond(stateCallsPerSecond);
    }

    private static void atLeast(String option, long value, long min) throws SetupException {
        if (value < min) {
            throw new SetupException(option, Long.toString(value), "must be at least " + min);
        }
    }

    /** The store {@code spec} names, or a setup error naming {@code --store} and what is wrong. */
    private StateStore openStore(String spec) throws SetupException {
        try {
            StateStore opened = StateStores.open(spec, fsync);
            storeSpec = spec;
            return opened;
        } catch (IllegalArgumentException | StoreUnavailableException e) {
            // The line already names the spec: a message that starts by naming it need not say it twice.
            String problem = e.getMessage();
            for (String named : new String[] {"cannot open " + spec + ": ", spec + " "}) {
                if (problem.startsWith(named)) {
                    problem = problem.substring(named.length());
                    break;
                }
            }
            throw new SetupException("store", spec, problem);
        }
    }

    /**
     * The JMX view of the meters, domain {@value #JMX_DOMAIN}: all of them, the step time as a
     * count and a total ({@link OpshellMetrics#withoutStepTimer}); bind those once the server runs.
     */
    static JmxMeterRegistry jmxRegistry() {
        JmxMeterRegistry jmx = new JmxMeterRegistry(jmxConfig(), Clock.SYSTEM);
        jmx.config().meterFilter(OpshellMetrics.withoutStepTimer());
        return jmx;
    }

    private static JmxConfig jmxConfig() {
        return new JmxConfig() {
            @Override
            public String get(String key) {
                return null; // Micrometer's defaults for everything else
            }

            @Override
            public String domain() {
                return JMX_DOMAIN;
            }
        };
    }

    /** The JVM's own health next to opshell's: memory, GC, threads, CPU, file descriptors, uptime. */
    @SuppressWarnings("resource") // JvmGcMetrics lives as long as the process
    private static void bindJvmMetrics(CompositeMeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private void announce(OpshellServer server, Path auditFile, MetricsEndpoint endpoint) {
        // "opshell listening on" is what scripts and the bench wait for.
        log.info("opshell listening on {} (version {}; mode {}{}; shells: {}; default {}; engine {}, at most {} sessions)",
                server.socketPath(), VersionProvider.version(), socketMode, socketGroup != null ? ", group " + socketGroup : "",
                String.join(", ", server.shells()), shell, server.engineName(), server.maxSessions());
        log.info("state in {}{}", storeSpec, fsync ? " (fsync)" : "");
        log.info("audit log {}; {}", auditFile.toAbsolutePath(), policy != null ? "policy " + policy.toAbsolutePath()
                : "no policy: whoever can open the socket is admin of tenant " + tenant);
        if (endpoint != null) {
            log.info("metrics at http://{}:{}{}", endpoint.address().getAddress().getHostAddress(), endpoint.address().getPort(),
                    MetricsEndpoint.PATH);
        }
        log.info("connect with: scripts/connect --socket {} (or: rlwrap socat - UNIX-CONNECT:{})", socket, socket);
    }

    /**
     * SIGHUP: reopen the log files and the audit log (log rotation moved them away), reload the
     * policy when there is one. Never stops the server; each outcome is logged once.
     */
    private void hangup(OpshellServer server, Path auditFile, SystemdNotifier systemd) {
        systemd.reloading();
        List<String> done = new ArrayList<>();
        List<String> logFiles = Logging.reopenFiles();
        done.add(logFiles.isEmpty() ? "no log file to reopen" : "reopened log file " + String.join(", ", logFiles));
        server.reopenAuditLog(); // a file it cannot open is logged by the audit log itself
        done.add("reopened audit log " + auditFile.toAbsolutePath());
        if (server.hasPolicyFile()) {
            try {
                server.reloadPolicy(); // logs its outcome itself
            } catch (PolicyException e) {
                // logged by the server; the previous policy stays in force
            }
        } else {
            done.add("no policy file to reload");
        }
        log.info("SIGHUP: {}", String.join("; ", done));
        systemd.reloaded("serving " + server.socketPath());
    }

    private static void close(MetricsEndpoint endpoint, JmxMeterRegistry jmx) {
        if (endpoint != null) {
            endpoint.close();
        }
        if (jmx != null) {
            jmx.close();
        }
    }

    /** After a failed start: the server did not take the store over, so it is closed here. */
    private static void close(MetricsEndpoint endpoint, JmxMeterRegistry jmx, StateStore state) {
        close(endpoint, jmx);
        if (state != null) {
            state.close();
        }
    }

    private static int fail(String message, int status) {
        System.err.println("error: " + message);
        System.err.flush();
        return status;
    }
}
