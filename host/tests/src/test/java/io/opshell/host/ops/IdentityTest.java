package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.SessionLimits;
import io.opshell.host.identity.Account;
import io.opshell.host.identity.CachingUserDirectory;
import io.opshell.host.identity.Group;
import io.opshell.host.identity.UserDirectory;
import io.opshell.host.policy.Policy;
import io.opshell.host.policy.PolicyFile;
import io.opshell.host.session.UnixUsers;
import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.UserClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A peer's groups are what the system's NSS says, as {@code id -G USER} does: checked against
 * {@code id} itself, through the test seam (an injected directory), and for real with a user and
 * group that exist only in an NSS source other than /etc (libnss-extrausers, in a private mount
 * namespace so the machine's own configuration is untouched).
 */
class IdentityTest {
    private static final Path EXTRAUSERS_MODULE = Path.of("/usr/lib/libnss_extrausers.so.2");
    private static final Path EXTRAUSERS_DIR = Path.of("/var/lib/extrausers");
    private static final long NSS_UID = 4301;
    private static final long OUTSIDER_UID = 4302;
    private static final long NSS_GID = 4390;

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor();
        return out;
    }

    @Test
    void theSystemDirectoryGivesWhatIdGives() throws Exception {
        String user = run("id", "-un");
        Account me = UserDirectory.system().user(Long.parseLong(run("id", "-u"))).orElseThrow();
        assertThat(me.name()).isEqualTo(user);
        Set<String> expected = Arrays.stream(run("id", "-G", "--", user).split(" ")).collect(Collectors.toSet());
        assertThat(me.groups().stream().map(g -> Long.toString(g.gid())).collect(Collectors.toSet())).isEqualTo(expected);
        assertThat(UserDirectory.system().user(4999_999)).isEmpty();
        assertThat(UserDirectory.system().group("root")).contains(Group.of(0, "root"));
        assertThat(UserDirectory.system().group("no-such-group-here")).isEmpty();
    }

    @Test
    void anInjectedDirectoryDecidesTheGroupsAPolicyMatches() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        UserDirectory ldap = new UserDirectory() {
            @Override
            public Optional<Account> user(long uid) {
                lookups.incrementAndGet();
                return uid == 1500 ? Optional.of(new Account(1500, "dana", 1500,
                        List.of(Group.of(1500, "dana"), Group.of(7000, "sre")))) : Optional.empty();
            }

            @Override
            public Optional<Account> user(String name) {
                return Optional.empty();
            }

            @Override
            public Optional<Group> group(String nameOrGid) {
                return Optional.empty();
            }
        };
        UnixUsers users = new UnixUsers(new CachingUserDirectory(ldap, Duration.ofMinutes(1)));
        OperatorIdentity dana = users.identify(1500, 1500, 42);
        assertThat(dana.user()).isEqualTo("dana");
        Set<String> groups = users.groups(dana);
        assertThat(groups).containsExactlyInAnyOrder("1500", "dana", "7000", "sre");
        assertThat(lookups).hasValue(1); // name and groups from one cached lookup

        Path f = Files.createTempFile("policy", ".yaml");
        try {
            Files.writeString(f, "profiles:\n  - {name: sre, groups: [sre], role: read-write, tenants: [t]}\n");
            Policy p = PolicyFile.load(f, SessionLimits.DEFAULT);
            assertThat(p.profileFor(dana, groups).orElseThrow().name()).isEqualTo("sre");
            OperatorIdentity stranger = users.identify(1501, 1501, 43);
            assertThat(stranger.user()).isEqualTo("uid1501");
            assertThat(p.profileFor(stranger, users.groups(stranger))).isEmpty();
        } finally {
            Files.delete(f);
        }
    }

    /**
     * nssop (4301) is in group nssops (4390) only according to /var/lib/extrausers, seen through a
     * private nsswitch.conf in a private mount namespace around the server process. The client runs
     * with no supplementary groups, so only NSS can tell the server about nssops.
     */
    @Test
    void aGroupKnownOnlyToAnNssSourceMatchesThePolicy() throws Exception {
        assumeTrue(Files.exists(EXTRAUSERS_MODULE) && Files.isDirectory(EXTRAUSERS_DIR),
                "libnss-extrausers is not installed (scripts/bootstrap installs it)");
        assumeTrue(run("id", "-u").equals("0"), "needs root: mount namespace and other users' credentials");
        assumeTrue(!run("getent", "group", "nssops").contains("nssops"), "group nssops already exists on this machine");
        Path nss = ServerProcess.tempDir();
        Path extra = Files.createDirectory(nss.resolve("extrausers"));
        Files.writeString(nss.resolve("nsswitch.conf"), "passwd: files extrausers\ngroup: files extrausers\n");
        Files.writeString(extra.resolve("passwd"), "nssop:x:" + NSS_UID + ":" + NSS_UID + "::/nonexistent:/usr/sbin/nologin\n"
                + "outsider:x:" + OUTSIDER_UID + ":" + OUTSIDER_UID + "::/nonexistent:/usr/sbin/nologin\n");
        Files.writeString(extra.resolve("group"), "nssop:x:" + NSS_UID + ":\noutsider:x:" + OUTSIDER_UID + ":\nnssops:x:"
                + NSS_GID + ":nssop\n");
        Path policy = nss.resolve("policy.yaml");
        Files.writeString(policy, "profiles:\n  - {name: nss-ops, groups: [nssops], role: read-only, tenants: [t]}\n"
                + "  - {name: owner, uids: [0], role: admin, tenants: [t]}\n");
        List<String> namespace = List.of("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                "mount --bind \"$0\" /etc/nsswitch.conf && mount --bind \"$1\" " + EXTRAUSERS_DIR + " && shift && exec \"$@\"",
                nss.resolve("nsswitch.conf").toString(), extra.toString());
        try (ServerProcess server = ServerProcess.serve(namespace, Map.of(), "--policy", policy.toString(),
                "--socket-mode", "rw-rw-rw-")) {
            String member = UserClient.session(server.socket(), NSS_UID, NSS_UID, "whoami\n");
            assertThat(member).contains("connected as nssop (uid " + NSS_UID + "), role read-only");
            String outsider = UserClient.session(server.socket(), OUTSIDER_UID, OUTSIDER_UID, "whoami\n");
            assertThat(outsider).contains("error: uid " + OUTSIDER_UID + " (outsider) is not allowed to use this console");
            // The policy lint saw nssops through the same NSS: no "does not exist" warning.
            assertThat(server.stderr()).doesNotContain("does not exist on this system");
        } finally {
            try (var files = Files.walk(nss)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        assertThat(run("getent", "group", "nssops")).isEmpty(); // the machine never saw it
    }
}
