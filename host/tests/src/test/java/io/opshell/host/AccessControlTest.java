package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.UserClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Access control with real processes running as other Unix users (setpriv + socat; needs root,
 * as CI has). The policy decides; the shell has no say.
 */
class AccessControlTest {
    static final long READER = 4101, ALPHA = 4102, BETA = 4103, BETA_GROUP = 4200, ADMIN = 4104, LIMITED = 4105, TIGHT = 4106,
            STRANGER = 4999;
    static final String POLICY = """
            unknown: refuse
            connections-per-second-per-peer: 50
            profiles:
              - name: reader
                uids: [4101]
                role: read-only
                tenants: [alpha]
              - name: alpha-writer
                uids: [4102]
                role: read-write
                tenants: [alpha]
              - name: beta-writer
                groups: [4200]
                role: read-write
                tenants: [beta]
                shells: [kv]
              - name: admin
                uids: [4104]
                role: admin
                tenants: [alpha, beta]
              - name: limited
                uids: [4105]
                role: read-write
                tenants: [alpha]
                limits: {sessions: 1, commands-per-second: 2, idle-timeout-s: 3}
              - name: tight
                uids: [4106]
                role: read-write
                tenants: [alpha]
                shells: [scheme]
                # step-ms: the limit must be hit by a runaway loop, never by the 6 MB string below on a busy machine or a cold JIT
                limits: {step-ms: 500, memory-mib: 4, bytes-per-second: 1024}
            """;

    Path dir;
    Path policy;
    Path audit;
    TestServer ts;

    @BeforeEach
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "access tests switch users with setpriv: run as root");
        dir = Files.createTempDirectory("opsh-acl");
        policy = dir.resolve("policy.yaml");
        audit = dir.resolve("audit.jsonl");
        Files.writeString(policy, POLICY);
        ts = TestServer.startShared(OpshellServer.builder().policyFile(policy).audit(audit, false));
    }

    @AfterEach
    void stop() throws Exception {
        if (ts != null) {
            ts.close();
            Files.deleteIfExists(policy);
            Files.deleteIfExists(audit);
            Files.delete(dir);
        }
    }

    private String as(long uid, String input) throws Exception {
        return UserClient.session(ts.socket(), uid, uid, input);
    }

    @Test
    void aReadOnlyOperatorReadsButCannotWrite() throws Exception {
        assertThat(as(ALPHA, "set motd hello\nadd 5\n")).contains("kv> ok\nkv> 5\n");
        String out = as(READER, "get motd\nsum\nset motd defaced\nadd 1\ndel motd\nwhoami\n");
        assertThat(out).contains("role read-only", "kv> hello\nkv> 5\n", "kv> error: set motd: permission denied: your role (read-only) cannot change state\n",
                "kv> error: add: permission denied: your role (read-only) cannot change state\n", "kv> error: del motd: permission denied: your role (read-only) cannot change state\n", "role=read-only tenant=alpha");
        assertThat(as(ALPHA, "get motd\nsum\n")).contains("kv> hello\nkv> 5\n");
    }

    @Test
    void tenantsAreSeparateAndSwitchingIsLimitedToWhatIsGranted() throws Exception {
        as(ALPHA, "set alpha.secret 42\nadd 7\n");
        String beta = UserClient.session(ts.socket(), BETA, BETA_GROUP,
                "keys\nget alpha.secret\nsum\n\\tenant alpha\nget alpha.secret\n\\tenant\n\\shell scheme\nset beta.k v\n");
        assertThat(beta).contains("role read-write, tenant beta", "kv> error: no such key: alpha.secret\nkv> 0\n",
                "error: tenant 'alpha' is not granted to you; tenants: beta", "tenants: beta (current: beta)",
                "error: no shell named 'scheme' for you; shells: kv", "kv> ok\n");
        assertThat(beta).doesNotContain("42");
        String admin = as(ADMIN, "\\tenant beta\nkeys\n\\tenant alpha\nkeys\nsum\n");
        assertThat(admin).contains("opshell: tenant beta\n", "kv> beta.k\n", "kv> alpha.secret\nkv> 7\n");
    }

    @Test
    void anUnknownPeerIsRefusedBeforeAnyShellStarts() throws Exception {
        assertThat(as(STRANGER, "sum\n")).isEqualTo("error: uid 4999 (uid4999) is not allowed to use this console; "
                + "ask the service owner to add you to the policy\n");
        assertThat(ts.server.liveShellInstances()).isZero();
        assertThat(ts.server.stats().connectionsRefused.get()).isEqualTo(1);
    }

    @Test
    void limitsAreEnforcedAndReported() throws Exception {
        try (UserClient first = UserClient.connect(ts.socket(), LIMITED, LIMITED)) {
            assertThat(first.readTo("kv> ")).contains("2 commands/s", "idle 3 s");
            assertThat(as(LIMITED, "sum\n")).isEqualTo("error: you already have 1 session(s) open, your limit; close one first\n");
            // At 2 lines/s: a burst of a second's worth runs at once, the next lines are spread out
            // over at most 2 s, and the rest of the flood is dropped whole and reported.
            first.send("add 1\n".repeat(10));
            for (int i = 0; i < 7; i++) {
                assertThat(first.readTo("kv> ")).isEqualTo(Integer.toString(i + 1) + "\n");
            }
            assertThat(first.readTo("kv> ")).isEqualTo("error: 3 lines dropped: more than 2 commands/s, your limit; slow down\n");
            // Then it idles past its 3 s timeout.
            assertThat(first.readToEnd()).isEqualTo("\nerror: no input for 3 s; closing the session\n");
        }
        assertThat(as(ALPHA, "sum\n")).contains("kv> 7\n");
    }

    @Test
    void aProfilesCpuMemoryAndInputRateLimitsApply() throws Exception {
        try (UserClient c = UserClient.connect(ts.socket(), TIGHT, TIGHT)) {
            assertThat(c.readTo("scheme> ")).contains("shell scheme", "1 KiB/s in, 500 ms CPU/step, 4 MiB memory");
            assertThat(c.command("(define (spin) (spin)) (spin)", "scheme> ")).isEqualTo("error: interrupted (CPU limit of 500 ms)\n");
            // The profile's memory limit is the shell's: Scheme data stops short of it, and the session goes on.
            assertThat(c.command("(string-length (make-string 6000000 #\\a))", "scheme> "))
                    .startsWith("error: out of memory").contains("of the session's 4 MiB");
            assertThat(c.command("(+ 1 2)", "scheme> ")).isEqualTo("3\n");
            c.send(";" + "x".repeat(4000) + "\n"); // four seconds' worth at 1 KiB/s: let through, paid for later
            c.readTo("scheme> ");
            assertThat(c.command("(+ 2 2)", "scheme> ")).isEqualTo("error: 1 line dropped: more than 1024 bytes/s, your limit; slow down\n");
        }
    }

    @Test
    void anInterruptReachesALineTheRateLimitHoldsBackAndNotTheNextOne() throws Exception {
        try (UserClient c = UserClient.connect(ts.socket(), TIGHT, TIGHT)) {
            Matcher banner = Pattern.compile("session (\\d+)").matcher(c.readTo("scheme> "));
            assertThat(banner.find()).isTrue();
            String id = banner.group(1);
            assertThat(c.command("(define (spin) (spin))", "scheme> ")).isEmpty();
            // 2.5 seconds' worth at 1 KiB/s passes at once; the line after it waits about 1.5 s for its turn.
            c.send(";" + "x".repeat(2500) + "\n(spin)\n");
            assertThat(c.readTo("scheme> ")).isEmpty(); // the comment ran; (spin) waits
            assertThat(UserClient.session(ts.socket(), TIGHT, TIGHT, "\\interrupt " + id + "\n"))
                    .isEqualTo("interrupted session " + id + "\n");
            // Without the interrupt it would run until its CPU limit: "error: interrupted (CPU limit of 500 ms)".
            assertThat(c.readTo("scheme> ")).isEqualTo("error: 1 line not run: interrupted by the operator before they ran\n");
            assertThat(c.command("(procedure? spin)", "scheme> ")).as("the next line runs").isEqualTo("#t\n");
        }
    }

    @Test
    void policyReloadChangesAConnectedOperatorsRightsOnTheNextCommand() throws Exception {
        try (UserClient alpha = UserClient.connect(ts.socket(), ALPHA, ALPHA);
                UserClient admin = UserClient.connect(ts.socket(), ADMIN, ADMIN)) {
            alpha.readTo("kv> ");
            admin.readTo("kv> ");
            assertThat(alpha.command("set before reload", "kv> ")).isEqualTo("ok\n");
            String demoted = POLICY.replace("uids: [4102]\n    role: read-write", "uids: [4102]\n    role: read-only");
            assertThat(demoted).isNotEqualTo(POLICY);
            Files.writeString(policy, demoted);
            assertThat(admin.command("\\reload", "kv> ")).startsWith("policy reloaded from ");
            assertThat(alpha.command("set after reload", "kv> ")).isEqualTo("error: set after: permission denied: your role (read-only) cannot change state\n");
            assertThat(alpha.command("get before", "kv> ")).isEqualTo("reload\n");
            assertThat(alpha.command("\\whoami", "kv> ")).contains("role read-only");

            Files.writeString(policy, "profiles: [oops");
            assertThat(admin.command("\\reload", "kv> ")).startsWith("error: policy ").contains("the previous policy stays in force");
        }
    }

    @Test
    void adminsListAndKillSessionsAndSeeStats() throws Exception {
        try (UserClient alpha = UserClient.connect(ts.socket(), ALPHA, ALPHA);
                UserClient admin = UserClient.connect(ts.socket(), ADMIN, ADMIN)) {
            alpha.readTo("kv> ");
            admin.readTo("kv> ");
            assertThat(alpha.command("\\stats", "kv> ")).isEqualTo("error: \\stats is for the admin role; yours is read-write\n");
            String sessions = admin.command("\\sessions", "kv> ");
            String alphaLine = sessions.lines().filter(l -> l.contains("\t4102\t")).findFirst().orElseThrow();
            String id = alphaLine.split("\t")[0];
            assertThat(admin.command("\\kill " + id, "kv> ")).isEqualTo("killed session " + id + "\n");
            assertThat(alpha.readToEnd()).matches("\nerror: killed by admin uid4104 \\(session \\d+\\); closing the session\n");
            assertThat(admin.command("\\kill 99999", "kv> ")).startsWith("error: no session 99999");
            assertThat(admin.command("\\stats", "kv> ")).contains("sessions_open 1\n", "permission_denied 1\n");
        }
    }

    @Test
    void aPeerOpeningConnectionsTooFastIsRefusedWithAMessage() throws Exception {
        Files.writeString(policy, POLICY.replace("connections-per-second-per-peer: 50", "connections-per-second-per-peer: 1"));
        ts.server.reloadPolicy();
        int refused = 0;
        for (int i = 0; i < 5; i++) {
            String out = as(ALPHA, "sum\n");
            if (out.startsWith("error: too many connections from uid 4102 (at most 1.0 new connections per second)")) {
                refused++;
            } else {
                assertThat(out).contains("kv> 0\n");
            }
        }
        assertThat(refused).isPositive();
        assertThat(as(READER, "sum\n")).as("other users are not affected").contains("kv> 0\n");
    }

    @Test
    void theAuditLogHoldsEveryChangeAndNothingElse() throws Exception {
        as(ALPHA, "set a 1\nset b 2\ndel a\ndel missing\nadd 3\nget b\n");
        as(READER, "set c 3\nadd 1\n");
        UserClient.session(ts.socket(), BETA, BETA_GROUP, "set beta 1\n");
        as(STRANGER, "set x 1\n");

        ObjectMapper json = new ObjectMapper();
        List<String> changes = new ArrayList<>();
        List<String> sessions = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            JsonNode r = json.readTree(line);
            assertThat(r.get("ts").asText()).isNotEmpty();
            String event = r.get("event").asText();
            switch (event) {
                case "set", "del" -> changes.add(event + " " + r.get("uid").asLong() + " " + r.get("tenant").asText() + " " + r.get("key").asText());
                case "add" -> changes.add("add " + r.get("uid").asLong() + " " + r.get("tenant").asText() + " " + r.get("delta").asLong());
                case "denied" -> changes.add("denied " + r.get("uid").asLong() + " " + r.get("tenant").asText() + " "
                        + r.get("call").asText() + " " + r.get("reason").asText());
                default -> sessions.add(event + " " + r.get("uid").asLong());
            }
        }
        assertThat(changes).containsExactly(
                "set 4102 alpha a", "set 4102 alpha b", "del 4102 alpha a", "add 4102 alpha 3",
                "denied 4101 alpha set permission", "denied 4101 alpha add permission", "set 4103 beta beta");
        assertThat(sessions).containsExactly(
                "open 4102", "close 4102", "open 4101", "close 4101", "open 4103", "close 4103", "refused 4999");
    }
}
