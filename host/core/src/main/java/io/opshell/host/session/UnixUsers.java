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
    private static final UnixUsers SYSTEM = new UnixUsers(UserDirectory.system());

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

    /** The login name of {@code uid} from the system's directory. Prefer an instance's {@link #name}. */
    static String nameOf(long uid) {
        return SYSTEM.name(uid);
    }

    /**
     * The groups of {@code user} (a login name, or {@code "uid<N>"} when it has none) plus
     * {@code gid}, from the system's directory. Prefer an instance's {@link #groups}: it looks the
     * user up by uid, which every peer has.
     */
    static Set<String> groupsOf(String user, long gid) {
        Set<String> groups = new LinkedHashSet<>();
        Optional<Account> account = user.matches("uid\\d+") ? Optional.empty() : UserDirectory.system().user(user);
        long uid = account.map(Account::uid).orElse(-1L);
        if (account.isPresent()) {
            return SYSTEM.groups(new OperatorIdentity(uid, gid, 0, user));
        }
        add(groups, UserDirectory.system().group(Long.toString(gid)).orElse(Group.of(gid, null)));
        return groups;
    }
}
