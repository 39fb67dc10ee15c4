package io.opshell.host.identity;

import java.util.Optional;

/**
 * Users and groups as the system resolves them. The server asks it for a peer's name and groups
 * (policy {@code groups:} match against them) and the policy lint asks whether the users and
 * groups a policy names exist. {@link #system()} answers through NSS, as {@code id} and
 * {@code getent} do (files, LDAP, SSSD, extrausers: whatever {@code /etc/nsswitch.conf} says); a
 * test or an application with its own directory passes another implementation to
 * {@code OpshellServer.Builder.userDirectory}.
 */
public interface UserDirectory {
    /** The user with this uid, with every group it is in; empty when the system has none. */
    Optional<Account> user(long uid);

    /** The user with this login name, with every group it is in; empty when the system has none. */
    Optional<Account> user(String name);

    /** A group by name, or by number when {@code nameOrGid} is all digits; empty when the system has none. */
    Optional<Group> group(String nameOrGid);

    /** The system's answer through NSS, each answer kept for a minute ({@link CachingUserDirectory}). */
    static UserDirectory system() {
        return CachingUserDirectory.SYSTEM;
    }
}
