package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.net.UnixSocketListener;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The socket file: private by default, never stolen from a live server, replaced when stale. */
class SocketPathTest {
    @Test
    void socketIsOwnerOnlyByDefaultAndRemovedOnClose() throws Exception {
        Path socket;
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            socket = ts.socket();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            ts.server.close();
            assertThat(socket).doesNotExist();
        }
    }

    @Test
    void aLiveServersSocketIsNotTaken() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            assertThatThrownBy(() -> OpshellServer.builder().socket(ts.socket()).start())
                    .isInstanceOf(UnixSocketListener.SocketInUseException.class)
                    .hasMessageContaining("in use by a running server");
            try (var c = ts.kv()) {
                assertThat(c.command("sum")).isEqualTo("0");
            }
        }
    }

    @Test
    void aStaleSocketIsReplaced() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh");
        Path socket = dir.resolve("opshell.sock");
        // A socket file nobody accepts on, as a killed server leaves it.
        AFUNIXServerSocket dead = AFUNIXServerSocket.newInstance();
        dead.setDeleteOnClose(false);
        dead.bind(AFUNIXSocketAddress.of(socket));
        dead.close();
        assertThat(socket).exists();
        try (OpshellServer server = OpshellServer.builder().socket(socket).start()) {
            try (var c = io.opshell.host.support.ShellClient.kv(socket)) {
                assertThat(c.command("sum")).isEqualTo("0");
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
    }

    @Test
    void aFileThatIsNotASocketIsLeftAlone() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh");
        Path file = dir.resolve("opshell.sock");
        Files.writeString(file, "precious");
        try {
            assertThatThrownBy(() -> OpshellServer.builder().socket(file).start())
                    .isInstanceOf(SetupException.class)
                    .hasMessage("socket " + file + ": exists and is not a socket; refusing to replace it; move it away"
                            + " or choose another path");
            assertThat(file).hasContent("precious");
        } finally {
            Files.delete(file);
            Files.delete(dir);
        }
    }
}
