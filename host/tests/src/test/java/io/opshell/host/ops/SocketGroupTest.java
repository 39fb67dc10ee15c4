package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.UserClient;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/**
 * {@code --socket-group NAME --socket-mode rw-rw----}: the kernel lets the group's members connect
 * and nobody else (other than the server's user), checked with real processes of other users.
 * Uses Debian's standing group {@code users} (gid 100), so the machine needs no new group.
 */
class SocketGroupTest {
    private static final String GROUP = "users";
    private static final long GROUP_GID = 100;

    @Test
    void onlyTheGroupsMembersCanConnect() throws Exception {
        assumeTrue(new String(new ProcessBuilder("getent", "group", GROUP).start().getInputStream().readAllBytes())
                .startsWith(GROUP + ":x:" + GROUP_GID + ":"), "no group users with gid 100 here");
        try (ServerProcess server = ServerProcess.serve("--socket-group", GROUP, "--socket-mode", "rw-rw----")) {
            PosixFileAttributes attrs = Files.readAttributes(server.socket(), PosixFileAttributes.class);
            assertThat(attrs.group().getName()).isEqualTo(GROUP);
            assertThat(PosixFilePermissions.toString(attrs.permissions())).isEqualTo("rw-rw----");

            String member = UserClient.session(server.socket(), 4401, GROUP_GID, "add 2\n");
            assertThat(member).contains("connected as uid4401 (uid 4401)").contains("kv> 2");
            String other = UserClient.session(server.socket(), 4402, 4402, "add 2\n");
            assertThat(other).contains("Permission denied").doesNotContain("connected as");
            assertThat(server.stderr()).contains("; mode rw-rw----, group users;");
        }
    }
}
