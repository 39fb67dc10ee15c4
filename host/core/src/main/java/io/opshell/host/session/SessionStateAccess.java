package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.AuditLog;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.Probe;
import io.opshell.host.StateAccess;
import io.opshell.host.policy.Profile;
import io.opshell.store.StateStore;
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

    private void audit(String event, String tenant, String what, Object value) {
        OperatorIdentity who = session.identity();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("session", session.id());
        f.put("user", who.user());
        f.put("uid", who.uid());
        f.put("tenant", tenant);
        f.put(what, value);
        audit.record(event, f);
    }

    @Override
    public long add(long delta) {
        String tenant = writableTenant();
        long total = store.add(tenant, delta);
        audit("add", tenant, "delta", delta);
        return total;
    }

    @Override
    public long sum() {
        return store.sum(readableTenant());
    }

    @Override
    public Optional<String> get(String key) {
        return store.get(readableTenant(), key);
    }

    @Override
    public void set(String key, String value) {
        String tenant = writableTenant();
        store.set(tenant, key, value);
        audit("set", tenant, "key", key);
    }

    @Override
    public boolean delete(String key) {
        String tenant = writableTenant();
        boolean deleted = store.delete(tenant, key);
        if (deleted) {
            audit("del", tenant, "key", key);
        }
        return deleted;
    }

    @Override
    public List<String> keys(String prefix) {
        List<String> keys = store.keys(readableTenant(), prefix, maxKeysListed + 1);
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
