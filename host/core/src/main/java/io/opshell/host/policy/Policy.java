package io.opshell.host.policy;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.SessionLimits;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who may use the console and with which rights. A peer matches the first profile listing its
 * uid; failing that, the first profile listing one of its groups; failing that, the
 * {@code unknown} profile if the policy names one, else it is refused.
 *
 * @param connectionsPerSecondPerPeer new connections one uid may open per second (more are refused)
 */
public record Policy(List<Profile> profiles, Optional<String> unknownProfile, double connectionsPerSecondPerPeer) {

    public Optional<Profile> profileFor(OperatorIdentity who, Set<String> groups) {
        for (Profile p : profiles) {
            if (p.uids().contains(who.uid())) {
                return Optional.of(p);
            }
        }
        for (Profile p : profiles) {
            if (p.groups().stream().anyMatch(groups::contains)) {
                return Optional.of(p);
            }
        }
        return unknownProfile.flatMap(this::profile);
    }

    public Optional<Profile> profile(String name) {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * Without a policy file: whoever the socket's permissions let in (by default only the server's
     * own user) is admin of {@code tenant}, with every shell and the server's limits.
     */
    public static Policy openTo(String tenant, SessionLimits limits) {
        Profile owner = new Profile("owner", Set.of(), Set.of(), Role.ADMIN, List.of(tenant), tenant, Set.of(),
                Integer.MAX_VALUE, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, limits);
        return new Policy(List.of(owner), Optional.of("owner"), Double.POSITIVE_INFINITY);
    }
}
