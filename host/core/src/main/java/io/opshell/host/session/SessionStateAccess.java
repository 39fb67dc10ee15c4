package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.AuditLog;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.StateAccess;
import io.opshell.host.policy.Profile;
import io.opshell.store.Change;
import io.opshell.store.QuotaExceededException;
import io.opshell.store.StateStore;
import io.opshell.store.StoreUnavailableException;
import io.opshell.store.WriteAhead;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A session's view of the state: its current tenant of the store, with the rights of the
 * operator's profile as the policy says right now (asked on every call, so a reload applies to
 * the next command). Every call, in this order: counts against the session's state-call rate
 * ({@code RATE_LIMITED}), is checked against the role and tenant ({@code PERMISSION_DENIED}), and
 * reaches the store with the profile's tenant quota; a change is journaled to the audit log before
 * the store makes it ({@code UNAVAILABLE} when the log cannot be written). Refusals are audited as
 * {@code denied} records (reason {@code rate}, {@code permission}, {@code tenant} or
 * {@code quota}); store failures become ABI codes and one-line messages here, so nothing from the
 * store package reaches the Wasm layer.
 *
 * <p>Audit records (fields after {@code ts} and {@code event}; values by {@link AuditValues}):
 * <pre>
 * set, del      session user uid tenant key old new      (old/new null when absent)
 * add           session user uid tenant delta old new
 * abandoned     session user uid tenant of key|delta old new reason   (recorded, then not made)
 * unknown       … same, for a change whose outcome a lost store connection left unknown
 * denied        session user uid tenant call [key] reason message
 * </pre>
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

        /** A state call was refused by the session's state-call rate. */
        void rateLimited();
    }

    static final String UNAVAILABLE_AUDIT = "audit log unavailable; nothing was changed";

    private final StateStore store;
    private final SessionView session;
    private final AuditLog audit;
    private final int maxKeysListed;
    private final StateCallBudget budget;

    /** @param budget the session's state-call budget, the same for every shell instance of the session */
    SessionStateAccess(StateStore store, SessionView session, AuditLog audit, int maxKeysListed, StateCallBudget budget) {
        this.store = store;
        this.session = session;
        this.audit = audit;
        this.maxKeysListed = maxKeysListed;
        this.budget = budget;
    }

    /** One state call: what it is, for the checks and the denied record. */
    private record Call(String name, String key) {}

    /** The profile, after the rate check: the first two checks every call passes. */
    private Profile admit(Call call) {
        Profile p;
        try {
            p = session.profile();
        } catch (AbiException e) {
            deny(call, session.tenant(), "permission", e.getMessage());
            throw e;
        }
        double rate = p.limits().stateCallsPerSecond();
        switch (budget.take(rate)) {
            case ALLOWED -> {
                return p;
            }
            case REFUSED_FIRST -> {
                session.rateLimited();
                String message = "more than " + fmt(rate) + " state calls/s, your limit; slow down";
                deny(call, session.tenant(), "rate", message);
                throw AbiException.withMessage(AbiError.RATE_LIMITED, message);
            }
            default -> {
                session.rateLimited();
                throw AbiException.withMessage(AbiError.RATE_LIMITED,
                        "more than " + fmt(rate) + " state calls/s, your limit; slow down");
            }
        }
    }

    private String readableTenant(Call call) {
        return grantedTenant(call, admit(call));
    }

    private String writableTenant(Call call, Profile p) {
        String tenant = grantedTenant(call, p);
        if (!p.role().canWrite()) {
            session.denied();
            AbiException e = new AbiException(AbiError.PERMISSION_DENIED, "your role (" + p.role() + ") cannot change state");
            deny(call, tenant, "permission", e.getMessage());
            throw e;
        }
        return tenant;
    }

    private String grantedTenant(Call call, Profile p) {
        String tenant = session.tenant();
        if (!p.grantsTenant(tenant)) {
            session.denied();
            AbiException e = new AbiException(AbiError.PERMISSION_DENIED, "tenant " + tenant + " is not granted to you");
            deny(call, tenant, "tenant", e.getMessage());
            throw e;
        }
        return tenant;
    }

    /**
     * The denied record. A refusal stands whether or not it could be recorded: an unwritable log
     * is reported by the log itself, so a failure here is not passed on.
     */
    private void deny(Call call, String tenant, String reason, String message) {
        Map<String, Object> f = who(tenant);
        f.put("call", call.name());
        if (call.key() != null) {
            f.put("key", call.key());
        }
        f.put("reason", reason);
        f.put("message", message);
        try {
            audit.record("denied", f);
        } catch (AuditLog.UnavailableException e) {
            // the refusal stands; AuditLog has said loudly that it cannot write
        }
    }

    /** The journal of one change: its audit record, written before the store makes the change. */
    private WriteAhead journal(String event) {
        return new WriteAhead() {
            @Override
            public void record(Change change) {
                write(event, describe(change));
            }

            @Override
            public void abandoned(Change change, String reason) {
                Map<String, Object> f = describe(change);
                f.put("reason", reason);
                write("abandoned", withOf(event, f));
            }

            @Override
            public void outcomeUnknown(Change change, String reason) {
                Map<String, Object> f = describe(change);
                f.put("reason", reason);
                write("unknown", withOf(event, f));
            }
        };
    }

    private static Map<String, Object> withOf(String event, Map<String, Object> fields) {
        Map<String, Object> f = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            f.put(e.getKey(), e.getValue());
            if (e.getKey().equals("tenant")) {
                f.put("of", event);
            }
        }
        return f;
    }

    private Map<String, Object> describe(Change change) {
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
        return f;
    }

    /** Writes a record the change depends on: if it cannot be written, the change is refused. */
    private void write(String event, Map<String, Object> fields) {
        try {
            audit.record(event, fields);
        } catch (AuditLog.UnavailableException e) {
            throw AbiException.withMessage(AbiError.UNAVAILABLE, UNAVAILABLE_AUDIT);
        }
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
     * shell gets; a quota refusal is audited.
     */
    private <T> T translated(Call call, String tenant, Supplier<T> operation) {
        try {
            return operation.get();
        } catch (QuotaExceededException e) {
            deny(call, tenant, "quota", e.getMessage());
            throw AbiException.withMessage(AbiError.QUOTA, e.getMessage());
        } catch (ArithmeticException e) {
            throw AbiException.withMessage(AbiError.BAD_ARGUMENT, "counter overflow; nothing was changed");
        } catch (StoreUnavailableException e) {
            throw AbiException.withMessage(AbiError.UNAVAILABLE, "state store unavailable (" + e.getMessage() + ")");
        }
    }

    @Override
    public long add(long delta) {
        Call call = new Call("add", null);
        String tenant = writableTenant(call, admit(call));
        return translated(call, tenant, () -> store.add(tenant, delta, journal("add")));
    }

    @Override
    public long sum() {
        Call call = new Call("sum", null);
        String tenant = readableTenant(call);
        return translated(call, tenant, () -> store.sum(tenant));
    }

    @Override
    public Optional<String> get(String key) {
        Call call = new Call("get", key);
        String tenant = readableTenant(call);
        return translated(call, tenant, () -> store.get(tenant, key));
    }

    @Override
    public void set(String key, String value) {
        Call call = new Call("set", key);
        Profile p = admit(call);
        String tenant = writableTenant(call, p);
        translated(call, tenant, () -> {
            store.set(tenant, key, value, p.limits().tenantQuota(), journal("set"));
            return null;
        });
    }

    @Override
    public boolean delete(String key) {
        Call call = new Call("del", key);
        String tenant = writableTenant(call, admit(call));
        return translated(call, tenant, () -> store.delete(tenant, key, journal("del")));
    }

    @Override
    public List<String> keys(String prefix) {
        Call call = new Call("keys", null);
        String tenant = readableTenant(call);
        List<String> keys = translated(call, tenant, () -> store.keys(tenant, prefix, maxKeysListed + 1));
        if (keys.size() > maxKeysListed) {
            throw new AbiException(AbiError.TOO_LARGE, "more than " + maxKeysListed + " keys match; use a longer prefix");
        }
        return keys;
    }

    @Override
    public String whoami() {
        Profile p = admit(new Call("whoami", null));
        OperatorIdentity who = session.identity();
        return "user=" + who.user() + " uid=" + who.uid() + " gid=" + who.gid() + " pid=" + who.pid()
                + " role=" + p.role() + " tenant=" + session.tenant() + " shell=" + session.shellName();
    }

    /** Actions are the application's, served by {@link ApplicationAccess} in front of this; the store has none. */
    @Override
    public String call(String name, String argument) {
        throw AbiException.withMessage(AbiError.NOT_FOUND, "no action named " + name + "; see fields");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.1f", d);
    }
}
