package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.OperatorIdentity;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.host.policy.Policy;
import io.opshell.host.policy.PolicyHolder;
import io.opshell.host.policy.Profile;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a session is, as the rest of the host sees it: its id, who is connected, the tenant and
 * shell in use, the operator's profile under the policy in force (resolved once per policy
 * version: a reload replaces the policy object, so the next state call already sees the new
 * rights), and counters for {@code \sessions}. Read from other threads (the admin listing).
 */
public final class SessionContext implements SessionStateAccess.SessionView {
    private final long id;
    private final OperatorIdentity identity;
    private final Set<String> groups;
    private final PolicyHolder policy;
    private final OpshellMetrics metrics;
    private final long openedNanos = System.nanoTime();
    private final AtomicLong commands = new AtomicLong();
    private volatile String tenant;
    private volatile String shellName = "-";
    private Policy resolvedPolicy;
    private Optional<Profile> resolvedProfile = Optional.empty();

    SessionContext(long id, OperatorIdentity identity, Set<String> groups, PolicyHolder policy, OpshellMetrics metrics) {
        this.id = id;
        this.identity = identity;
        this.groups = groups;
        this.policy = policy;
        this.metrics = metrics;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public OperatorIdentity identity() {
        return identity;
    }

    Set<String> groups() {
        return groups;
    }

    @Override
    public String tenant() {
        return tenant;
    }

    void tenant(String tenant) {
        this.tenant = tenant;
    }

    @Override
    public String shellName() {
        return shellName;
    }

    void shellName(String name) {
        this.shellName = name;
    }

    /** Seconds since the session opened. */
    public long ageSeconds() {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - openedNanos);
    }

    /** Input lines the session has run. */
    public long commands() {
        return commands.get();
    }

    void commandsRun(int n) {
        commands.addAndGet(n);
        metrics.commands(n);
    }

    /** The profile under the policy in force now, if the policy still admits the operator. */
    public synchronized Optional<Profile> currentProfile() {
        Policy p = policy.current();
        if (p != resolvedPolicy) {
            resolvedProfile = p.profileFor(identity, groups);
            resolvedPolicy = p;
        }
        return resolvedProfile;
    }

    @Override
    public Profile profile() {
        Optional<Profile> p = currentProfile();
        if (p.isEmpty()) {
            denied();
            throw new AbiException(AbiError.PERMISSION_DENIED, "no profile in the policy admits uid " + identity.uid());
        }
        return p.get();
    }

    @Override
    public void denied() {
        metrics.permissionDenied();
    }

    @Override
    public void rateLimited() {
        metrics.rateLimited();
    }
}
