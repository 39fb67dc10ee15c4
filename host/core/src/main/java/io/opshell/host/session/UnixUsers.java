package io.opshell.host.session;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.identity.Account;
import io.opshell.host.identity.Group;
import io.opshell.host.identity.UserDirectory;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * A peer's name and groups, as the {@link UserDirectory} says (the system's NSS unless the server
 * was given another): what a policy's {@code groups:} match against. The uid and gid come from
 * the socket's credentials and are the identity; names are looked up for display and matching.
 */
public final class UnixUsers {
    private final UserDirectory directory;

    public UnixUsers(UserDirectory directory) {
        this.directory = directory;
    }

    /** The peer with its login name ({@code "uid<N>"} when the system has none). */
    public OperatorIdentity identify(long uid, long gid, long pid) {
        return new OperatorIdentity(uid, gid, pid, name(uid));
    }

    /** The login name of {@code uid}, or {@code "uid<N>"} when the system has none. */
    public String name(long uid) {
        return directory.user(uid).map(Account::name).orElse("uid" + uid);
    }

    /**
     * The groups a peer is in, each as its number and (where it has one) its name: the gid from
     * the peer's credentials plus every group the system lists for the peer's user.
     */
    public Set<String> groups(OperatorIdentity who) {
        Set<String> groups = new LinkedHashSet<>();
        Optional<Account> account = directory.user(who.uid());
        boolean credentialGidNamed = false;
        for (Group g : account.map(Account::groups).orElse(java.util.List.of())) {
            add(groups, g);
            credentialGidNamed |= g.gid() == who.gid();
        }
        if (!credentialGidNamed) {
            add(groups, directory.group(Long.toString(who.gid())).orElse(Group.of(who.gid(), null)));
        }
        return groups;
    }

    private static void add(Set<String> groups, Group g) {
        groups.add(Long.toString(g.gid()));
        g.name().ifPresent(groups::add);
    }
}
