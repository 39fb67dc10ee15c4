package io.opshell.host;

import io.opshell.host.net.ConnectionBucket;
import io.opshell.host.net.Refusal;
import io.opshell.host.net.UnixSocketListener;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.opshell.host.policy.Policy;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.policy.PolicyHolder;
import io.opshell.host.session.ServerControl;
import io.opshell.host.session.Session;
import io.opshell.host.session.SessionServices;
import io.opshell.host.wasm.ShellLoadException;
import io.opshell.host.wasm.WasmEngine;
import io.opshell.host.wasm.WasmEngineProvider;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.store.InMemoryStateStore;
import io.opshell.store.Quota;
import io.opshell.store.StateStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An opshell server: listens on a Unix socket and gives each connection its own sandboxed shell
 * over the application's state. Embed it in a few lines:
 *
 * <pre>{@code
 * try (OpshellServer server = OpshellServer.builder()
 *         .socket(Path.of("/run/myapp/opshell.sock"))
 *         .store(myStore)
 *         .probe("queue-depth", (who, arg) -> Integer.toString(queue.size()))
 *         .start()) {
 *     server.awaitTermination();
 * }
 * }</pre>
 */
public final class OpshellServer implements AutoCloseable, ServerControl {
    private static final Logger log = LoggerFactory.getLogger(OpshellServer.class);
    /** How long {@link #close()} waits for sessions to end after their sockets are closed. */
    private static final long SHUTDOWN_WAIT_MILLIS = 5_000;

    private final UnixSocketListener listener;
    private final WasmRuntime runtime;
    private final ShellCatalog catalog;
    private final SessionServices services;
    private final int maxSessions;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final Map<Long, Thread> sessionThreads = new ConcurrentHashMap<>();
    private final AtomicLong nextSessionId = new AtomicLong(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Thread acceptor;
    private final PolicyHolder policy;
    private final AuditLog audit;
    private final ServerStats stats = new ServerStats();
    /** Connection rate per uid; idle entries expire so the map stays small. */
    private final Cache<Long, ConnectionBucket> connectionRates =
            CacheBuilder.newBuilder().expireAfterAccess(Duration.ofMinutes(1)).maximumSize(10_000).build();

    private OpshellServer(Builder b, WasmRuntime runtime, ShellCatalog catalog, UnixSocketListener listener,
            PolicyHolder policy, AuditLog audit) {
        this.runtime = runtime;
        this.catalog = catalog;
        this.listener = listener;
        this.maxSessions = b.maxSessions;
        this.policy = policy;
        this.audit = audit;
        this.services = new SessionServices(runtime, catalog.modules(), b.defaultShell, b.store, Map.copyOf(b.probes),
                policy, audit, stats, b.limits.maxKeysListed());
        this.acceptor = Thread.ofPlatform().name("opshell-accept").start(this::acceptLoop);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The socket's absolute path. */
    public Path socketPath() {
        return listener.path();
    }

    /** Names of the shells this server offers. */
    public Set<String> shells() {
        return Set.copyOf(catalog.modules().keySet());
    }

    /** Shell instances alive right now (one per session, briefly more while one is replaced). */
    public int liveShellInstances() {
        return runtime.liveInstances();
    }

    /** Sessions open right now. */
    public int sessionCount() {
        return sessions.size();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            AFUNIXSocket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    log.error("accept failed; the server stops accepting", e);
                }
                break;
            }
            admit(socket);
        }
    }

    private void admit(AFUNIXSocket socket) {
        if (sessions.size() >= maxSessions) {
            refuse(socket, "error: server busy: " + maxSessions + " sessions open, the limit; try again later");
            return;
        }
        if (!connectionAllowed(socket)) {
            return;
        }
        long id = nextSessionId.getAndIncrement();
        Session session = new Session(id, socket, services, this, this::forget);
        sessions.put(id, session);
        Thread t = Thread.ofPlatform().name("opshell-session-" + id).unstarted(session);
        sessionThreads.put(id, t);
        t.start();
    }

    /** The per-peer connection rate limit: a uid opening connections too fast is refused. */
    private boolean connectionAllowed(AFUNIXSocket socket) {
        double perSecond = policy.current().connectionsPerSecondPerPeer();
        if (Double.isInfinite(perSecond)) {
            return true;
        }
        long uid;
        try {
            uid = socket.getPeerCredentials().getUid();
        } catch (IOException e) {
            refuse(socket, "error: cannot read your credentials");
            return false;
        }
        ConnectionBucket bucket;
        try {
            bucket = connectionRates.get(uid, () -> new ConnectionBucket(perSecond));
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
        if (!bucket.tryTake(perSecond)) {
            refuse(socket, "error: too many connections from uid " + uid + " (at most " + perSecond
                    + " new connections per second); try again in a moment");
            return false;
        }
        return true;
    }

    /** Refuses on a virtual thread: the accept loop never waits on a client. */
    private void refuse(AFUNIXSocket socket, String message) {
        stats.connectionsRefused.incrementAndGet();
        Thread.ofVirtual().name("opshell-refuse").start(() -> Refusal.send(socket, message));
    }

    private void forget(Session session) {
        sessions.remove(session.id());
        sessionThreads.remove(session.id());
    }

    @Override
    public int sessionsOf(long uid) {
        return (int) sessions.values().stream().filter(s -> s.identity() != null && s.identity().uid() == uid).count();
    }

    @Override
    public List<Session> sessions() {
        return sessions.values().stream().sorted(java.util.Comparator.comparingLong(Session::id)).toList();
    }

    @Override
    public boolean kill(long id, String reason) {
        Session s = sessions.get(id);
        if (s == null) {
            return false;
        }
        s.kill(reason);
        return true;
    }

    @Override
    public String reloadPolicy() throws PolicyException {
        String summary = policy.reload();
        log.info(summary);
        return summary;
    }

    @Override
    public int openSessions() {
        return sessions.size();
    }

    /** Counters: sessions, commands, refusals, traps. */
    public ServerStats stats() {
        return stats;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** Stops accepting, ends every session, removes the socket file and releases the engine. */
    @Override
    public void close() {
        if (terminated.getCount() == 0) {
            return;
        }
        try {
            listener.close();
        } catch (IOException e) {
            log.warn("closing the listener failed", e);
        }
        try {
            acceptor.join();
            sessions.values().forEach(s -> s.kill("server shutting down"));
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_WAIT_MILLIS);
            for (Thread t : List.copyOf(sessionThreads.values())) {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            audit.close();
        } catch (IOException e) {
            log.warn("closing the audit log failed", e);
        }
        try {
            services.store().close();
        } catch (RuntimeException e) {
            log.warn("closing the state store failed", e);
        }
        if (sessions.isEmpty()) {
            catalog.close();
            runtime.close();
        } else {
            // A session still inside a guest call holds the engine; its deadline ends it, but we do not wait longer.
            log.warn("{} sessions did not end in time; leaving the engine to process exit", sessions.size());
        }
        terminated.countDown();
    }

    /** Configures and starts a server. */
    public static final class Builder {
        private Path socket = Path.of("opshell.sock");
        private Set<PosixFilePermission> socketMode = PosixFilePermissions.fromString("rw-------");
        private StateStore store;
        private final Map<String, byte[]> extraShells = new LinkedHashMap<>();
        private boolean bundledShells = true;
        private String defaultShell = "kv";
        private String tenant = "default";
        private SessionLimits limits = SessionLimits.DEFAULT;
        private int maxSessions = 256;
        private final Map<String, Probe> probes = new LinkedHashMap<>();
        private Path policyFile;
        private Policy policy;
        private Path auditFile;
        private boolean auditFsync;
        private String engineName;
        private WasmEngine engine;
        private Quota tenantQuota;
        private Double stateCallsPerSecond;

        private Builder() {}

        /**
         * The WebAssembly engine by name ({@code wasmtime}, {@code chicory}): one of the engine
         * modules on the classpath. Default: the preferred engine there (wasmtime when present).
         */
        public Builder engine(String name) {
            this.engineName = name;
            this.engine = null;
            return this;
        }

        /** An engine the application made; the server closes it when it stops. */
        public Builder engine(WasmEngine engine) {
            this.engine = engine;
            this.engineName = null;
            return this;
        }

        /** Who may connect and with which rights, from a YAML file (README.md); reloadable with {@code \\reload}. */
        public Builder policyFile(Path file) {
            this.policyFile = file;
            this.policy = null;
            return this;
        }

        /**
         * A fixed policy. Without one (and without a policy file) whoever the socket's permissions
         * admit is admin of the {@link #tenant(String) tenant}.
         */
        public Builder policy(Policy policy) {
            this.policy = policy;
            this.policyFile = null;
            return this;
        }

        /** Appends the audit trail (JSON lines) to {@code file}; {@code fsync} forces each record to disk. */
        public Builder audit(Path file, boolean fsync) {
            this.auditFile = file;
            this.auditFsync = fsync;
            return this;
        }

        public Builder socket(Path path) {
            this.socket = path;
            return this;
        }

        /** Permissions of the socket file; default {@code rw-------} (only the server's user may connect). */
        public Builder socketMode(Set<PosixFilePermission> mode) {
            this.socketMode = Set.copyOf(mode);
            return this;
        }

        /**
         * The state operators work on; default a fresh in-memory store. The server closes it when
         * it stops. For a durable one, {@code StateStores.open("sqlite:PATH", fsync)} with the
         * backend's module on the classpath.
         */
        public Builder store(StateStore store) {
            this.store = store;
            return this;
        }

        /** Adds (or replaces) a shell from its wasm32-wasi module bytes. */
        public Builder shell(String name, byte[] wasm) {
            extraShells.put(name, wasm.clone());
            return this;
        }

        /** Whether the bundled shells (echo, kv, ...) are offered; default true. */
        public Builder bundledShells(boolean enabled) {
            this.bundledShells = enabled;
            return this;
        }

        /** The shell a connection gets; default {@code kv}. */
        public Builder defaultShell(String name) {
            this.defaultShell = name;
            return this;
        }

        /** Without a policy: the tenant (store namespace) sessions work in; default {@code default}. */
        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public Builder limits(SessionLimits limits) {
            this.limits = limits;
            return this;
        }

        /**
         * What a tenant may hold when an operator writes to it: entries, and bytes of keys and
         * values; default {@link Quota#DEFAULT} (100,000 entries, 256 MiB). A policy profile may set
         * its own bytes ({@code store-mib}). Overrides the quota in {@link #limits}.
         */
        public Builder tenantQuota(Quota quota) {
            this.tenantQuota = java.util.Objects.requireNonNull(quota);
            return this;
        }

        /**
         * State calls (host functions on the state) one session may make per second, a second's
         * worth at once; more answer {@code RATE_LIMITED}. Default
         * {@link SessionLimits#DEFAULT_STATE_CALLS_PER_SECOND}; infinite for none. Overrides the
         * rate in {@link #limits}.
         */
        public Builder stateCallsPerSecond(double perSecond) {
            if (!(perSecond > 0)) {
                throw new IllegalArgumentException("stateCallsPerSecond must be positive");
            }
            this.stateCallsPerSecond = perSecond;
            return this;
        }

        /** Connections served at once; more are refused with a message. Default 256. */
        public Builder maxSessions(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxSessions must be at least 1");
            }
            this.maxSessions = max;
            return this;
        }

        /** Exposes an application operation to shells under {@code name} ({@code host.call}). */
        public Builder probe(String name, Probe probe) {
            probes.put(name, probe);
            return this;
        }

        /**
         * Loads the shells, binds the socket and starts accepting.
         *
         * @throws ShellLoadException if a shell is refused (the message says why)
         * @throws IOException        if the socket cannot be bound (e.g. a live server holds it)
         */
        public OpshellServer start() throws IOException, ShellLoadException, PolicyException {
            if (store == null) {
                store = new InMemoryStateStore();
            }
            if (tenantQuota != null) {
                limits = limits.withTenantQuota(tenantQuota);
            }
            if (stateCallsPerSecond != null) {
                limits = limits.withStateCallsPerSecond(stateCallsPerSecond);
            }
            Map<String, byte[]> modules = new LinkedHashMap<>();
            if (bundledShells) {
                modules.putAll(ShellCatalog.bundledShells());
            }
            modules.putAll(extraShells);
            if (!modules.containsKey(defaultShell)) {
                throw new IllegalArgumentException("no shell named '" + defaultShell + "'; available: " + modules.keySet());
            }
            PolicyHolder holder = policyFile != null ? PolicyHolder.fromFile(policyFile, limits)
                    : PolicyHolder.fixed(policy != null ? policy : Policy.openTo(tenant, limits));
            WasmEngine chosen = engine != null ? engine : WasmEngineProvider.choose(engineName).create();
            AuditLog audit;
            try {
                audit = auditFile != null ? AuditLog.open(auditFile, auditFsync) : AuditLog.disabled();
            } catch (IOException | RuntimeException e) {
                chosen.close();
                throw e;
            }
            WasmRuntime runtime = new WasmRuntime(chosen);
            ShellCatalog catalog = null;
            try {
                catalog = ShellCatalog.load(runtime, modules, limits.maxMemoryBytes());
                UnixSocketListener listener = UnixSocketListener.bind(socket, socketMode);
                return new OpshellServer(this, runtime, catalog, listener, holder, audit);
            } catch (IOException | ShellLoadException | RuntimeException e) {
                if (catalog != null) {
                    catalog.close();
                }
                runtime.close();
                audit.close();
                throw e;
            }
        }
    }
}
