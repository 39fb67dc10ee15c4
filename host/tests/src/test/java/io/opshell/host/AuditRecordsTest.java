package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.security.auth.module.UnixSystem;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exact audit records of state changes (old and new values, long values cut with their length
 * and SHA-256) and of denied state calls (quota, tenant, permission, rate), as the operator's
 * commands produce them through the real socket. Records are compared whole, less their time.
 */
class AuditRecordsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> STATE_EVENTS = Set.of("set", "del", "add", "denied", "abandoned", "unknown", "call", "called", "field", "field-refused");

    private Path dir;
    private Path audit;
    private Path policy;
    private final String who;

    AuditRecordsTest() {
        UnixSystem me = new UnixSystem();
        who = "\"user\":\"" + me.getUsername() + "\",\"uid\":" + me.getUid();
    }

    @BeforeEach
    void directory() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opshd");
        audit = dir.resolve("audit.jsonl");
        policy = dir.resolve("policy.yaml");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The audit's state records, each without its timestamp, in order. */
    private List<String> stateRecords() throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            ObjectNode r = (ObjectNode) JSON.readTree(line);
            assertThat(r.get("ts").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            if (STATE_EVENTS.contains(r.get("event").asText())) {
                r.remove("ts");
                out.add(JSON.writeValueAsString(r));
            }
        }
        return out;
    }

    private String policyFor(String role, String tenants, String limits) {
        return "profiles:\n  - name: me\n    uids: [" + new UnixSystem().getUid() + "]\n    role: " + role + "\n    tenants: "
                + tenants + "\n    limits: " + limits + "\n";
    }

    @Test
    void changesCarryOldAndNewAndQuotaRefusalsAreRecorded() throws Exception {
        // store-mib 0.01: 10,485 bytes of keys and values for the tenant.
        Files.writeString(policy, policyFor("read-write", "[alpha]", "{store-mib: 0.01}"));
        String big = "x".repeat(2_000);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big.getBytes(StandardCharsets.UTF_8)));
        try (TestServer ts = TestServer.start(OpshellServer.builder().policyFile(policy).audit(audit, false));
                ShellClient c = ts.kv()) {
            assertThat(c.command("set k v1")).isEqualTo("ok");
            assertThat(c.command("set k v2 é")).isEqualTo("ok");
            assertThat(c.command("del k")).isEqualTo("ok");
            assertThat(c.command("del k")).isEqualTo("error: no such key: k");
            assertThat(c.command("add 5")).isEqualTo("5");
            assertThat(c.command("add -2")).isEqualTo("3");
            assertThat(c.command("set big " + big)).isEqualTo("ok");
            assertThat(c.command("set big2 " + "y".repeat(9_000)))
                    .isEqualTo("error: set big2: tenant alpha is full (2003 of 10485 bytes)");
        }
        String s = "{\"event\":\"%s\",\"session\":1," + who + ",\"tenant\":\"alpha\",";
        assertThat(stateRecords()).containsExactly(
                s.formatted("set") + "\"key\":\"k\",\"old\":null,\"new\":\"v1\"}",
                s.formatted("set") + "\"key\":\"k\",\"old\":\"v1\",\"new\":\"v2 é\"}",
                s.formatted("del") + "\"key\":\"k\",\"old\":\"v2 é\",\"new\":null}",
                s.formatted("add") + "\"delta\":5,\"old\":0,\"new\":5}",
                s.formatted("add") + "\"delta\":-2,\"old\":5,\"new\":3}",
                s.formatted("set") + "\"key\":\"big\",\"old\":null,\"new\":\"" + "x".repeat(1024)
                        + "\",\"new_bytes\":2000,\"new_sha256\":\"" + sha + "\"}",
                s.formatted("denied") + "\"call\":\"set\",\"key\":\"big2\",\"reason\":\"quota\","
                        + "\"message\":\"tenant alpha is full (2003 of 10485 bytes)\"}");
    }

    @Test
    void callsDeniedByTenantAndRoleAreRecorded() throws Exception {
        Files.writeString(policy, policyFor("admin", "[alpha, beta]", "{}"));
        try (TestServer ts = TestServer.start(OpshellServer.builder().policyFile(policy).audit(audit, false));
                ShellClient c = ts.kv()) {
            assertThat(c.command("\\tenant beta")).isEqualTo("opshell: tenant beta");
            assertThat(c.command("set x 1")).isEqualTo("ok");
            Files.writeString(policy, policyFor("read-only", "[alpha]", "{}"));
            ts.server.reloadPolicy();
            assertThat(c.command("get x")).isEqualTo("error: get x: permission denied: tenant beta is not granted to you");
            assertThat(c.command("\\tenant alpha")).isEqualTo("opshell: tenant alpha");
            assertThat(c.command("add 1")).isEqualTo("error: add: permission denied: your role (read-only) cannot change state");
            assertThat(c.command("sum")).isEqualTo("0");
        }
        String s = "{\"event\":\"%s\",\"session\":1," + who + ",\"tenant\":\"%s\",";
        assertThat(stateRecords()).containsExactly(
                s.formatted("set", "beta") + "\"key\":\"x\",\"old\":null,\"new\":\"1\"}",
                s.formatted("denied", "beta") + "\"call\":\"get\",\"key\":\"x\",\"reason\":\"tenant\","
                        + "\"message\":\"permission denied: tenant beta is not granted to you\"}",
                s.formatted("denied", "alpha") + "\"call\":\"add\",\"reason\":\"permission\","
                        + "\"message\":\"permission denied: your role (read-only) cannot change state\"}");
    }

    @Test
    void aRunOfRateLimitedCallsIsRecordedOnce() throws Exception {
        // 2 calls a second: a burst of 2, then one more each half second.
        try (TestServer ts = TestServer.start(OpshellServer.builder().tenant("alpha").stateCallsPerSecond(2).audit(audit, false));
                ShellClient c = ts.kv()) {
            c.send("sum\nsum\nsum\nsum\nsum\n"); // one chunk: answered within one step
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String a = c.readToPrompt();
                answers.add(a.endsWith("\n") ? a.substring(0, a.length() - 1) : a);
            }
            String limited = "error: sum: more than 2 state calls/s, your limit; slow down";
            assertThat(answers).containsExactly("0", "0", limited, limited, limited);
        }
        assertThat(stateRecords()).containsExactly("{\"event\":\"denied\",\"session\":1," + who
                + ",\"tenant\":\"alpha\",\"call\":\"sum\",\"reason\":\"rate\",\"message\":\"more than 2 state calls/s, your limit; slow down\"}");
    }

    @Test
    void aFreshShellInstanceDoesNotRefillTheSessionsBudget() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().stateCallsPerSecond(2)); ShellClient c = ts.kv()) {
            c.send("sum\nsum\n");
            c.readToPrompt();
            c.readToPrompt();
            assertThat(c.command("\\shell kv")).startsWith("opshell: shell kv");
            assertThat(c.command("sum")).isEqualTo("error: sum: more than 2 state calls/s, your limit; slow down");
        }
    }
}
