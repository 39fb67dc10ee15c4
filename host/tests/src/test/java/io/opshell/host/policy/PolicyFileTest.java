package io.opshell.host.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.SessionLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyFileTest {
    private static Policy parse(String yaml) throws Exception {
        Path f = Files.createTempFile("policy", ".yaml");
        try {
            Files.writeString(f, yaml);
            return PolicyFile.load(f, SessionLimits.DEFAULT);
        } finally {
            Files.delete(f);
        }
    }

    private static void assertRejected(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(PolicyException.class).hasMessageContaining(message);
    }

    @Test
    void theExampleInTheRepositoryParses() throws Exception {
        Policy p = PolicyFile.load(Path.of("../policy.example.yaml"), SessionLimits.DEFAULT);
        Profile oncall = p.profile("oncall").orElseThrow();
        assertThat(oncall.role()).isEqualTo(Role.READ_WRITE);
        assertThat(oncall.tenants()).containsExactly("payments", "search");
        assertThat(oncall.limits().stepDeadline()).isEqualTo(Duration.ofMillis(500));
        assertThat(oncall.limits().maxMemoryBytes()).isEqualTo(48L << 20);
        assertThat(oncall.commandsPerSecond()).isEqualTo(20);
        assertThat(p.unknownProfile()).isEmpty();
        assertThat(p.profile("support").orElseThrow().limits().idleTimeout()).isEqualTo(SessionLimits.DEFAULT.idleTimeout());
    }

    @Test
    void uidsWinOverGroupsAndUnknownPeersGetTheUnknownProfile() throws Exception {
        Policy p = parse("""
                unknown: guest
                profiles:
                  - {name: ops, groups: [ops, "77"], role: read-write, tenants: [t]}
                  - {name: alice, uids: [1000], role: admin, tenants: [t]}
                  - {name: guest, role: read-only, tenants: [t]}
                """);
        OperatorIdentity alice = new OperatorIdentity(1000, 77, 1, "alice");
        OperatorIdentity bob = new OperatorIdentity(1001, 77, 1, "bob");
        OperatorIdentity eve = new OperatorIdentity(1002, 5, 1, "eve");
        assertThat(p.profileFor(alice, Set.of("77")).orElseThrow().name()).isEqualTo("alice");
        assertThat(p.profileFor(bob, Set.of("77")).orElseThrow().name()).isEqualTo("ops");
        assertThat(p.profileFor(eve, Set.of("5")).orElseThrow().name()).isEqualTo("guest");
    }

    @Test
    void mistakesAreRejectedWithTheirPlace() {
        assertRejected("profiles: []", "'profiles' must be a non-empty list");
        assertRejected("profiles: [{name: a, role: root, tenants: [t]}]", "profile 'a': role 'root' is not one of");
        assertRejected("profiles: [{name: a, role: admin, tenants: [t], tennants: [x]}]", "profile 'a': unknown field 'tennants'");
        assertRejected("profiles: [{name: a, role: admin, tenants: [t], default-tenant: u}]", "default-tenant 'u' is not in its tenants");
        assertRejected("profiles: [{name: a, role: admin, tenants: [t], limits: {memory-mib: 4096}}]", "above the server's limit");
        assertRejected("profiles: [{name: a, role: admin, tenants: [t], limits: {step-ms: -1}}]", "'step-ms' must be a positive number");
        assertRejected("profiles: [{name: a, role: admin, tenants: ['a b']}]", "tenant 'a b' must be");
        assertRejected("unknown: nobody\nprofiles: [{name: a, role: admin, tenants: [t]}]", "neither 'refuse' nor a profile name");
        assertRejected("profiles: [{name: a, uids: [alice], role: admin, tenants: [t]}]", "uid 'alice' is not a number");
        assertRejected("profiles: [oops", "policy ");
    }

    @Test
    void mistakesNameTheLineAndColumn() {
        assertRejected("profiles:\n  - name: a\n    role: admin\n    tennants: [x]\n",
                " line 4, column 5: profile 'a': unknown field 'tennants'");
        assertRejected("profiles:\n  - {name: a, role: admin, tenants: [t]}\n  - {name: b, role: admin, tenants: [t, 'x y']}\n",
                " line 3, column 41: profile 'b': tenant 'x y' must be");
        assertRejected("profiles:\n  - name: a\n    role: admin\n    tenants: [t]\n    limits:\n      step-ms: -5\n",
                " line 6, column 16: profile 'a' limits: 'step-ms' must be a positive number");
        assertRejected("profiles:\n- name: a\n  role: admin\n tenants: [t]\n",
                " line 4, column 2: expected <block end>, but found '<block mapping start>'");
        assertRejected("unknown: nobody\nprofiles: [{name: a, role: admin, tenants: [t]}]\n", " line 1, column 10: unknown:");
    }

    @Test
    void aMissingFileSaysWhatToDo() throws Exception {
        Path missing = Path.of("/nonexistent/policy.yaml");
        assertThatThrownBy(() -> PolicyFile.load(missing, SessionLimits.DEFAULT)).isInstanceOf(PolicyException.class)
                .hasMessage("policy /nonexistent/policy.yaml: no such file; create it (host/policy.example.yaml is an"
                        + " example) or fix the path");
    }
}
