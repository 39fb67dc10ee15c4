package io.opshell.host.policy;

import io.opshell.host.SessionLimits;
import java.util.List;
import java.util.Set;

/**
 * What one kind of operator gets: who matches it, the role, the tenants (the first is the default
 * unless {@code defaultTenant} says otherwise), the shells, and the limits.
 *
 * @param uids               users matching this profile by uid
 * @param groups             groups (names or numeric gids) matching this profile
 * @param shells             shells allowed; empty means every shell the server offers
 * @param sessions           sessions one operator of this profile may have open at once
 * @param commandsPerSecond  input lines per second per session (bursts are delayed, floods refused)
 * @param bytesPerSecond     input bytes per second per session
 * @param limits             CPU, memory, output, idle time and session length
 */
public record Profile(
        String name,
        Set<Long> uids,
        Set<String> groups,
        Role role,
        List<String> tenants,
        String defaultTenant,
        Set<String> shells,
        int sessions,
        double commandsPerSecond,
        double bytesPerSecond,
        SessionLimits limits) {

    public boolean grantsTenant(String tenant) {
        return tenants.contains(tenant);
    }

    public boolean grantsShell(String shell) {
        return shells.isEmpty() || shells.contains(shell);
    }
}
