package io.opshell.host.policy;

import io.opshell.host.identity.UserDirectory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Warnings about a policy that loads but probably does not say what its author meant: a profile
 * that matches nobody (it lists no uids or groups, or an earlier profile takes every one it lists),
 * uids and groups the system does not know, tenants that only such profiles grant. Warnings, not
 * errors: a group may be created after the policy, an LDAP server may be down. Logged at load and
 * reload, and printed by {@code opshell policy check FILE}. To add a check: a method that appends
 * to the list, called from {@link #warnings}.
 */
public final class PolicyLint {
    private final UserDirectory directory;

    public PolicyLint(UserDirectory directory) {
        this.directory = directory;
    }

    /** Every warning, one line each, in profile order. */
    public List<String> warnings(Policy policy) {
        List<String> out = new ArrayList<>();
        Set<String> unreachable = new LinkedHashSet<>();
        Set<Long> earlierUids = new HashSet<>();
        Set<String> earlierGroups = new HashSet<>();
        for (Profile p : policy.profiles()) {
            boolean isUnknownProfile = policy.unknownProfile().filter(p.name()::equals).isPresent();
            if (!isUnknownProfile && matchesNobody(p, earlierUids, earlierGroups, out)) {
                unreachable.add(p.name());
            }
            earlierUids.addAll(p.uids());
            earlierGroups.addAll(p.groups());
            unknownUsersAndGroups(p, out);
        }
        unreachableTenants(policy, unreachable, out);
        return out;
    }

    private static boolean matchesNobody(Profile p, Set<Long> earlierUids, Set<String> earlierGroups, List<String> out) {
        if (p.uids().isEmpty() && p.groups().isEmpty()) {
            out.add("profile '" + p.name() + "' matches nobody: it lists no uids and no groups, and 'unknown' does not"
                    + " name it");
            return true;
        }
        if (earlierUids.containsAll(p.uids()) && earlierGroups.containsAll(p.groups())) {
            out.add("profile '" + p.name() + "' matches nobody: earlier profiles list every uid and group it lists"
                    + " (the first match wins)");
            return true;
        }
        return false;
    }

    private void unknownUsersAndGroups(Profile p, List<String> out) {
        for (long uid : p.uids()) {
            if (directory.user(uid).isEmpty()) {
                out.add("profile '" + p.name() + "': uid " + uid + " is not a user on this system (getent passwd "
                        + uid + " finds nothing)");
            }
        }
        for (String group : p.groups()) {
            if (directory.group(group).isEmpty()) {
                out.add("profile '" + p.name() + "': group '" + group + "' does not exist on this system (getent group "
                        + group + " finds nothing)");
            }
        }
    }

    private static void unreachableTenants(Policy policy, Set<String> unreachable, List<String> out) {
        Map<String, List<String>> grantedBy = new LinkedHashMap<>();
        for (Profile p : policy.profiles()) {
            for (String t : p.tenants()) {
                grantedBy.computeIfAbsent(t, k -> new ArrayList<>()).add(p.name());
            }
        }
        grantedBy.forEach((tenant, profiles) -> {
            if (unreachable.containsAll(profiles)) {
                out.add("tenant '" + tenant + "' is reachable by no one: only " + String.join(", ", profiles.stream()
                        .map(n -> "'" + n + "'").toList()) + " grant" + (profiles.size() == 1 ? "s" : "")
                        + " it, and " + (profiles.size() == 1 ? "that profile matches" : "those profiles match") + " nobody");
            }
        });
    }
}
