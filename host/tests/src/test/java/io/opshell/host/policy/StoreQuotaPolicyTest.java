package io.opshell.host.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.SessionLimits;
import io.opshell.store.Quota;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A profile's tenant byte quota ({@code limits: {store-mib: N}}) and its default, the server's quota. */
class StoreQuotaPolicyTest {
    private static final SessionLimits SERVER = SessionLimits.DEFAULT.withTenantQuota(new Quota(500, 123_456_789));

    private static Policy parse(String yaml) throws Exception {
        Path f = Files.createTempFile("policy", ".yaml");
        try {
            Files.writeString(f, yaml);
            return PolicyFile.load(f, SERVER);
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void aProfileSetsItsBytesAndKeepsTheServersEntries() throws Exception {
        Policy p = parse("""
                profiles:
                  - {name: small, uids: [1], role: read-write, tenants: [t], limits: {store-mib: 16}}
                  - {name: tiny, uids: [2], role: read-write, tenants: [t], limits: {store-mib: 0.5}}
                  - {name: plain, uids: [3], role: read-write, tenants: [t]}
                """);
        assertThat(p.profile("small").orElseThrow().limits().tenantQuota()).isEqualTo(new Quota(500, 16L << 20));
        assertThat(p.profile("tiny").orElseThrow().limits().tenantQuota()).isEqualTo(new Quota(500, 512L << 10));
        assertThat(p.profile("plain").orElseThrow().limits().tenantQuota()).isEqualTo(SERVER.tenantQuota());
        assertThat(p.profile("plain").orElseThrow().limits().stateCallsPerSecond()).isEqualTo(SERVER.stateCallsPerSecond());
    }

    @Test
    void aQuotaThatIsNotAPositiveNumberIsRejectedWithItsPlace() {
        for (String bad : new String[] {"0", "-1", "lots"}) {
            assertThatThrownBy(() -> parse("profiles: [{name: a, uids: [1], role: admin, tenants: [t], limits: {store-mib: "
                    + bad + "}}]")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("profile 'a' limits: 'store-mib' must be a positive number");
        }
    }
}
