package io.opshell.host;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.opshell.host.app.Action;
import io.opshell.host.app.Field;
import io.opshell.host.app.Surface;
import io.opshell.host.identity.CachingUserDirectory;
import io.opshell.host.identity.UserDirectory;
import io.opshell.host.metrics.MeteredStateStore;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.host.net.ConnectionBucket;
import io.opshell.host.net.Refusal;
import io.opshell.host.net.UnixSocketListener;
import io.opshell.host.policy.Policy;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.policy.PolicyHolder;
import io.opshell.host.session.ServerControl;
import io.opshell.host.session.Session;
import io.opshell.host.session.SessionContext;
import io.opshell.host.session.SessionServices;
import io.opshell.host.session.SessionThreads;
import io.opshell.host.session.UnixUsers;
import io.opshell.host.wasm.ShellLoadException;
import io.opshell.host.wasm.WasmEngine;
import io.opshell.host.wasm.WasmEngineProvider;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.store.InMemoryStateStore;
import io.opshell.store.Quota;
import io.opshell.store.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
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
 *         .field(Field.of("orders.queue-depth", FieldType.LONG, () -> (long) queue.size()).doc("orders waiting"))
 *         .action(Action.of("orders.drain", Role.ADMIN, (who, arg) -> "drained " + queue.drain()))
 *         .start()) {
 *     server.awaitTermination();
 * }
 * }</pre>
 */
public final class OpshellServer implements AutoCloseable, ServerControl {
    private static final Logger log = LoggerFactory.getLogger(OpshellServer.class);
    /** How long {@link #close()} waits for sessions to end; they are all told at once and never wait on a client. */
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(1);

    private final UnixSocketListener listener;
    private final WasmRuntime runtime;
    private final ShellCatalog catalog;
    private final SessionServices services;
    private final int maxSessions;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final SessionThreads sessionThreads;
    private final AtomicLong nextSessionId = new AtomicLong(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Thread acceptor;
    private final PolicyHolder policy;
    private final AuditLog audit;
    private final ServerStats stats = new ServerStats();
    private final OpshellMetrics metrics;
    private final UserDirectory users;
    /** Connection rate per uid; idle entries expire so the map stays small. */
    private final Cache<Long, ConnectionBucket> connectionRates =
            CacheBuilder.newBuilder().expireAfterAccess(Duration.ofMinutes(1)).maximumSize(10_000).build();

    private OpshellServer(Builder b, WasmRuntime runtime, ShellCatalog catalog, UnixSocketListener listener,
            PolicyHolder policy, AuditLog audit, UserDirectory users, int maxSessions) {
        this.runtime = runtime;
        this.catalog = catalog;
        this.listener = listener;
        this.maxSessions = maxSessions;
        this.policy = policy;
        this.audit = audit;
        this.users = users;
        this.metrics = new OpshellMetrics(stats, sessions::size, runtime::liveInstances, b.meterRegistries);
        this.services = new SessionServices(runtime, catalog.modules(), b.defaultShell, new MeteredStateStore(b.store, metrics),
                new Surface(b.fields, b.actions), policy, audit, stats, b.limits, b.bannerWait, new UnixUsers(users), metrics);
        this.sessionThreads = new SessionThreads(runtime.engine().guestThreadStackBytes());
        this.acceptor = Thread.ofPlatform().name("opshell-accept").start(this::acceptLoop);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The socket's absolute path. */
    public Path socketPath() {
        return listener.path();
    }

    /** Names of the shells this server offers, sorted (so that lines listing them read the same every start). */
    public Set<String> shells() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(catalog.modules().keySet()));
    }

    /** Shell instances alive right now (one per session, briefly more while one is replaced). */
    public int liveShellInstances() {
        return runtime.liveInstances();
    }

    /** Sessions open right now. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Sessions served at once: the builder's {@code maxSessions}, or less when the engine cannot hold that many. */
    public int maxSessions() {
        return maxSessions;
    }

    /** The WebAssembly engine's name ({@code wasmtime}, {@code chicory}). */
    public String engineName() {
        return runtime.engine().name();
    }

    /** Shell instances waiting in the pools, ready for the next sessions. */
    public int pooledShellInstances() {
        return runtime.pooledInstances();
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
        Session session = new Session(id, socket, services, this);
        sessions.put(id, session);
        sessionThreads.start(id, () -> {
            try {
                session.run();
            } finally {
                forget(session);
            }
        });
        // The session goes first: junixsocket's accept() spends about 100 µs of CPU before it waits
        // (it builds the listening socket's address anew on every call), and on a busy CPU the new
        // session's thread would wait for that before it could greet its operator.
        Thread.yield();
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
        metrics.connectionRefused();
        Thread.ofVirtual().name("opshell-refuse").start(() -> Refusal.send(socket, message));
    }

    private void forget(Session session) {
        sessions.remove(session.id());
    }

    @Override
    public int sessionsOf(long uid) {
        // Sessions being admitted count too, so two that arrive together cannot both slip under the limit.
        return (int) sessions.values().stream()
                .filter(s -> s.context() != null && s.context().identity().uid() == uid && (s.admitted() || s.context().tenant() == null))
                .count();
    }

    @Override
    public List<SessionContext> sessions() {
        return sessions.values().stream().filter(Session::admitted).map(Session::context)
                .sorted(java.util.Comparator.comparingLong(SessionContext::id)).toList();
    }

    @Override
    public Interrupt interrupt(long id, SessionContext by) {
        Session s = sessions.get(id);
        if (s == null || !s.admitted()) {
            return Interrupt.NO_SUCH_SESSION;
        }
        boolean own = s.context().identity().uid() == by.identity().uid();
        boolean admin = by.currentProfile().map(p -> p.role().isAdmin()).orElse(false);
        if (!own && !admin) {
            return Interrupt.NOT_YOURS;
        }
        return s.interrupt() ? Interrupt.DONE : Interrupt.NO_SUCH_SESSION;
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

    /**
     * Reads the policy file again (an admin's {@code \reload}, SIGHUP in the standalone server) and
     * forgets cached user and group answers, so membership changes apply too. Logs the outcome
     * once, here; callers only pass the summary or the error on to whoever asked.
     */
    @Override
    public synchronized String reloadPolicy() throws PolicyException {
        if (users instanceof CachingUserDirectory cache) {
            cache.clear();
        }
        try {
            String summary = policy.reload();
            metrics.policyReloaded(true);
            log.info(summary);
            return summary;
        } catch (PolicyException e) {
            metrics.policyReloaded(false);
            log.warn("{}; the previous policy stays in force", e.getMessage());
            throw e;
        }
    }

    /** Whether the server reads its policy from a file (and so has something to reload). */
    public boolean hasPolicyFile() {
        return policy.file().isPresent();
    }

    /**
     * Closes and reopens the audit log file, so that a file moved away by log rotation is replaced
     * by a new one at the configured path (SIGHUP). Never fails: a file that cannot be opened makes
     * every change refused until it can, and the server log says so.
     */
    public void reopenAuditLog() {
        audit.reopen();
    }

    @Override
    public int openSessions() {
        return sessions.size();
    }

    /** Counters: sessions, commands, refusals, traps. {@link #metrics()} has them all, as meters. */
    public ServerStats stats() {
        return stats;
    }

    /** Every measurement, as Micrometer meters; {@code metrics().snapshot()} is what {@code \stats} shows. */
    public OpshellMetrics metrics() {
        return metrics;
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
            // Every session is told at once; none waits on its client (Session.kill never blocks).
            sessions.values().forEach(s -> s.kill("server shutting down"));
            sessionThreads.awaitSessionsEnded(SHUTDOWN_WAIT);
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

    /** Instances of each shell kept ready by default ({@link Builder#pool}). */
    public static final int DEFAULT_POOL = 2;

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
        private int pool = DEFAULT_POOL;
        private final List<Field<?>> fields = new java.util.ArrayList<>();
        private final List<Action> actions = new java.util.ArrayList<>();
        private Path policyFile;
        private Policy policy;
        private Path auditFile;
        private boolean auditFsync;
        private String engineName;
        private WasmEngine engine;
        private Duration bannerWait = Duration.ofMillis(200);
        private final List<MeterRegistry> meterRegistries = new ArrayList<>();
        private String socketGroup;
        private UserDirectory userDirectory;
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
         * The group the socket file belongs to (name or gid); with {@code socketMode(rw-rw----)} only
         * its members (and the server's user) can connect. The server's user must be root or a member.
         */
        public Builder socketGroup(String group) {
            this.socketGroup = group;
            return this;
        }

        /** Also registers opshell's meters ({@code opshell.*}) in {@code registry}; call once per registry. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistries.add(registry);
            return this;
        }

        /** Where peers' names and groups come from; default the system's NSS ({@link UserDirectory#system()}). */
        public Builder userDirectory(UserDirectory directory) {
            this.userDirectory = directory;
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
         * How long a new connection's first line is awaited before the banner is shown (default
         * 200 ms): a script that starts with {@code \mode plain} or {@code \mode json} gets no
         * banner, an operator at a terminal sees it this much later.
         */
        public Builder bannerWait(Duration wait) {
            if (wait.isNegative()) {
                throw new IllegalArgumentException("bannerWait must not be negative");
            }
            this.bannerWait = wait;
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

        /** Shows operators a piece of the application's state, and (if settable) lets them change it. */
        public Builder field(Field<?> field) {
            fields.add(field);
            return this;
        }

        /** Lets operators holding its role run an application operation by name. */
        public Builder action(Action action) {
            actions.add(action);
            return this;
        }

        /**
         * Instances of each shell kept ready ahead of demand, so a connection's shell starts without
         * paying instantiation; refilled in the background, one at a time. 0 turns pooling off.
         * Default {@value OpshellServer#DEFAULT_POOL}.
         */
        public Builder pool(int perShell) {
            if (perShell < 0) {
                throw new IllegalArgumentException("pool must be 0 or more");
            }
            this.pool = perShell;
            return this;
        }

        /**
         * {@link #maxSessions} or, when the engine cannot hold that many instances besides the
         * pooled ones (wasmtime: memory mappings), what it can, with a warning: a session beyond
         * it is refused with "server busy" instead of crashing the process.
         */
        private int clampedMaxSessions(WasmEngine engine, int shells) {
            long capacity = (long) engine.instanceCapacity() - (long) pool * shells;
            if (capacity >= maxSessions) {
                return maxSessions;
            }
            int clamped = (int) Math.max(1, capacity);
            log.warn("max sessions {} is more than the {} engine can hold in this process; serving at most {} sessions",
                    maxSessions, engine.name(), clamped);
            return clamped;
        }

        /**
         * Loads the shells, binds the socket and starts accepting.
         *
         * @throws ShellLoadException if a shell is refused (the message says why)
         * @throws IOException        if the socket cannot be bound (e.g. a live server holds it)
         */
        public OpshellServer start() throws IOException, ShellLoadException, PolicyException {
            // What can be checked cheaply is checked before the engine compiles anything.
            UnixSocketListener.check(socket);
            Optional<GroupPrincipal> group = socketGroup == null ? Optional.empty()
                    : Optional.of(UnixSocketListener.group(socketGroup));
            if (auditFile != null) {
                checkAuditFile(auditFile);
            }
            UserDirectory users = userDirectory != null ? userDirectory : UserDirectory.system();
            if (store == null) {
                store = new InMemoryStateStore();
            }
            new Surface(fields, actions); // refuses duplicate names before anything starts
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
                throw new SetupException("shell", defaultShell, "no such shell; choose one of "
                        + String.join(", ", modules.keySet()));
            }
            PolicyHolder holder = policyFile != null ? PolicyHolder.fromFile(policyFile, limits, users)
                    : PolicyHolder.fixed(policy != null ? policy : Policy.openTo(tenant, limits));
            WasmEngine chosen = engine != null ? engine : WasmEngineProvider.choose(engineName).create();
            AuditLog audit;
            try {
                audit = auditFile != null ? AuditLog.open(auditFile, auditFsync) : AuditLog.disabled();
            } catch (IOException e) {
                chosen.close();
                throw new SetupException("audit", auditFile.toString(), "cannot open it for appending (" + e.getMessage()
                        + "); choose a file this user (" + System.getProperty("user.name") + ") can write");
            } catch (RuntimeException e) {
                chosen.close();
                throw e;
            }
            WasmRuntime runtime = new WasmRuntime(chosen, pool);
            ShellCatalog catalog = null;
            try {
                catalog = ShellCatalog.load(runtime, modules, limits.maxMemoryBytes());
                int sessionsMax = clampedMaxSessions(chosen, modules.size());
                UnixSocketListener listener = UnixSocketListener.bind(socket, socketMode, group);
                return new OpshellServer(this, runtime, catalog, listener, holder, audit, users, sessionsMax);
            } catch (IOException | ShellLoadException | RuntimeException e) {
                if (catalog != null) {
                    catalog.close();
                }
                runtime.close();
                audit.close();
                throw e;
            }
        }

        /** The audit file's directory must exist: a typo there should stop the start, not the first change. */
        private static void checkAuditFile(Path file) throws SetupException {
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                throw new SetupException("audit", file.toString(), "directory " + dir + " does not exist; create it (mkdir -p "
                        + dir + ") or choose another path");
            }
            if (Files.isDirectory(file)) {
                throw new SetupException("audit", file.toString(), "is a directory; give a file path, e.g. " + file.resolve("audit.jsonl"));
            }
        }
    }
}
