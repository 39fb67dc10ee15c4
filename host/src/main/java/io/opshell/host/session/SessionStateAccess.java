package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.Probe;
import io.opshell.host.StateAccess;
import io.opshell.store.StateStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A session's view of the state: one tenant of the store, plus the application's probes. */
final class SessionStateAccess implements StateAccess {
    private final StateStore store;
    private final String tenant;
    private final OperatorIdentity who;
    private final String shell;
    private final Map<String, Probe> probes;
    private final int maxKeysListed;

    SessionStateAccess(StateStore store, String tenant, OperatorIdentity who, String shell, Map<String, Probe> probes,
            int maxKeysListed) {
        this.store = store;
        this.tenant = tenant;
        this.who = who;
        this.shell = shell;
        this.probes = probes;
        this.maxKeysListed = maxKeysListed;
    }

    @Override
    public long add(long delta) {
        return store.add(tenant, delta);
    }

    @Override
    public long sum() {
        return store.sum(tenant);
    }

    @Override
    public Optional<String> get(String key) {
        return store.get(tenant, key);
    }

    @Override
    public void set(String key, String value) {
        store.set(tenant, key, value);
    }

    @Override
    public boolean delete(String key) {
        return store.delete(tenant, key);
    }

    @Override
    public List<String> keys(String prefix) {
        List<String> keys = store.keys(tenant, prefix, maxKeysListed + 1);
        if (keys.size() > maxKeysListed) {
            throw new AbiException(AbiError.TOO_LARGE, "more than " + maxKeysListed + " keys match; use a longer prefix");
        }
        return keys;
    }

    @Override
    public String whoami() {
        return "user=" + who.user() + " uid=" + who.uid() + " gid=" + who.gid() + " pid=" + who.pid()
                + " role=read-write tenant=" + tenant + " shell=" + shell;
    }

    @Override
    public String call(String name, String argument) {
        Probe probe = probes.get(name);
        if (probe == null) {
            throw new AbiException(AbiError.NOT_FOUND, "no probe named " + name);
        }
        return probe.call(who, argument);
    }
}
