package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import org.junit.jupiter.api.Test;

/** Closing the server tells every operator, ends every session and removes the socket. */
class ShutdownTest {
    @Test
    void operatorsAreToldAndEverythingIsReleased() throws Exception {
        TestServer ts = TestServer.start(OpshellServer.builder());
        try (ShellClient a = ts.kv(); ShellClient b = ts.kv()) {
            a.command("add 1");
            ts.server.close();
            assertThat(a.readToEnd()).isEqualTo("\nerror: server shutting down; closing the session\n");
            assertThat(b.readToEnd()).isEqualTo("\nerror: server shutting down; closing the session\n");
            assertThat(ts.server.sessionCount()).isZero();
            assertThat(ts.socket()).doesNotExist();
        } finally {
            ts.close();
        }
    }
}
