package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.AuditLog;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.Probe;
import io.opshell.host.StateAccess;
import io.opshell.host.policy.Profile;
import io.opshell.store.Change;
import io.opshell.store.Quota;
import io.opshell.store.QuotaExceededException;
import io.opshell.store.StateStore;
import io.opshell.store.StoreUnavailableException;
import io.opshell.store.WriteAhead;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A session's view of the state: its current tenant of the store, with the rights of the
 * operator's profile as the policy says right now (asked on every call, so a reload applies to
 * the next command), every change audited before it is acknowledged.
 */
final class SessionStateAccess implements StateAccess {
    /** What the access needs to know about its session, asked on each call. */
    interface SessionView {
        long id();

        OperatorIdentity identity();

        /** The operator's profile under the policy in force; PERMISSION_DENIED if none matches any more. */
        Profile profile();

        String tenant();

        String shellName();

        void denied();
    }

    private final StateStore store;
    private final SessionView session;
    private final Map<String, Probe> probes;
    private final AuditLog audit;
    private final int maxKeysListed;

    SessionStateAccess(StateStore store, SessionView session, Map<String, Probe> probes, AuditLog audit, int maxKeysListed) {
        this.store = store;
        this.session = session;
        this.probes = probes;
        this.audit = audit;
        this.maxKeysListed = maxKeysListed;
    }

    private String readableTenant() {
        return grantedTenant(session.profile());
    }

    private String writableTenant() {
        Profile p = session.profile();
        String tenant = grantedTenant(p);
        if (!p.role().canWrite()) {
            session.denied();
            throw new AbiException(AbiError.PERMISSION_DENIED, "your role (" + p.role() + ") cannot change state");
        }
        return tenant;
    }

    private String grantedTenant(Profile p) {
        String tenant = session.tenant();
        if (!p.grantsTenant(tenant)) {
            session.denied();
            throw new AbiException(AbiError.PERMISSION_DENIED, "tenant " + tenant + " is not granted to you");
        }
        return tenant;
    }

    /** The journal of one change: its audit record, written before the store makes the change. */
    private WriteAhead journal(String event) {
        return change -> {
            Map<String, Object> f = who(change.tenant());
            switch (change) {
                case Change.Entry e -> {
                    f.put("key", e.key());
                    AuditValues.put(f, "old", e.before());
                    AuditValues.put(f, "new", e.after());
                }
                case Change.Counter c -> {
                    f.put("delta", c.after() - c.before());
                    f.put("old", c.before());
                    f.put("new", c.after());
                }
            }
            try {
                audit.record(event, f);
            } catch (RuntimeException e) {
                throw AbiException.withMessage(AbiError.UNAVAILABLE, "audit log unavailable; nothing was changed");
            }
        };
    }

    private Map<String, Object> who(String tenant) {
        OperatorIdentity who = session.identity();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("session", session.id());
        f.put("user", who.user());
        f.put("uid", who.uid());
        f.put("tenant", tenant);
        return f;
    }

    /**
     * Runs a store operation, translating the store's failures into the codes and messages the
     * shell gets; nothing from the store package crosses into the Wasm layer.
     */
    private static <T> T translated(java.util.function.Supplier<T> operation) {
        try {
            return operation.get();
        } catch (QuotaExceededException e) {
            throw AbiException.withMessage(AbiError.QUOTA, e.getMessage());
        } catch (ArithmeticException e) {
            throw AbiException.withMessage(AbiError.BAD_ARGUMENT, "counter overflow; nothing was changed");
        } catch (StoreUnavailableException e) {
            throw AbiException.withMessage(AbiError.UNAVAILABLE, "state store unavailable (" + e.getMessage() + ")");
        }
    }

    @Override
    public long add(long delta) {
        String tenant = writableTenant();
        return translated(() -> store.add(tenant, delta, journal("add")));
    }

    @Override
    public long sum() {
        String tenant = readableTenant();
        return translated(() -> store.sum(tenant));
    }

    @Override
    public Optional<String> get(String key) {
        String tenant = readableTenant();
        return translated(() -> store.get(tenant, key));
    }

    @Override
    public void set(String key, String value) {
        String tenant = writableTenant();
        translated(() -> {
            store.set(tenant, key, value, Quota.DEFAULT, journal("set"));
            return null;
        });
    }

    @Override
    public boolean delete(String key) {
        String tenant = writableTenant();
        return translated(() -> store.delete(tenant, key, journal("del")));
    }

    @Override
    public List<String> keys(String prefix) {
        String tenant = readableTenant();
        List<String> keys = translated(() -> store.keys(tenant, prefix, maxKeysListed + 1));
        if (keys.size() > maxKeysListed) {
            throw new AbiException(AbiError.TOO_LARGE, "more than " + maxKeysListed + " keys match; use a longer prefix");
        }
        return keys;
    }

    @Override
    public String whoami() {
        OperatorIdentity who = session.identity();
        return "user=" + who.user() + " uid=" + who.uid() + " gid=" + who.gid() + " pid=" + who.pid()
                + " role=" + session.profile().role() + " tenant=" + session.tenant() + " shell=" + session.shellName();
    }

    @Override
    public String call(String name, String argument) {
        readableTenant();
        Probe probe = probes.get(name);
        if (probe == null) {
            throw new AbiException(AbiError.NOT_FOUND, "no probe named " + name);
        }
        return probe.call(session.identity(), argument);
    }
}
