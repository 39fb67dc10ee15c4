package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.opshell.host.support.ServerProcess;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Running as a systemd service: the readiness protocol (sd_notify datagrams on NOTIFY_SOCKET, read
 * here from a socket the test binds, as systemd would), the audit file under $STATE_DIRECTORY, and
 * the unit file in scripts/ passing systemd's own verifier.
 */
class SystemdTest {
    private static final int RECEIVE_TIMEOUT_MILLIS = 30_000;
    private static final Path UNIT = Path.of("../../scripts/opshell.service").toAbsolutePath().normalize();

    private static String receive(AFUNIXDatagramSocket socket) throws Exception {
        byte[] buf = new byte[4096];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        socket.receive(packet);
        return new String(buf, 0, packet.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void readyReloadingAndStoppingAreNotified() throws Exception {
        Path dir = ServerProcess.tempDir();
        Path notify = dir.resolve("notify");
        Path state = Files.createDirectory(dir.resolve("state"));
        try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
            systemd.bind(AFUNIXSocketAddress.of(notify));
            systemd.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
            List<String> args = new ArrayList<>(List.of("serve", "--socket", dir.resolve("opshell.sock").toString()));
            try (ServerProcess server = ServerProcess.launch(dir, List.of(), args,
                    Map.of("NOTIFY_SOCKET", notify.toString(), "STATE_DIRECTORY", state.toString()))) {
                String ready = receive(systemd);
                assertThat(ready).startsWith("READY=1\nSTATUS=serving " + dir.resolve("opshell.sock"))
                        .endsWith("\nMAINPID=" + server.pid());
                assertThat(dir.resolve("opshell.sock")).exists();
                // No --audit: under systemd the audit log goes to the state directory.
                assertThat(server.stderr()).contains("audit log " + state.resolve("audit.jsonl"));
                assertThat(state.resolve("audit.jsonl")).exists();

                server.signal("HUP");
                assertThat(receive(systemd)).matches("RELOADING=1\nMONOTONIC_USEC=\\d+");
                assertThat(receive(systemd)).startsWith("READY=1\n");
                server.signal("TERM");
                assertThat(receive(systemd)).isEqualTo("STOPPING=1");
                assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no notification from the server", e);
        }
    }

    @Test
    void theUnitFilePassesSystemdsVerifier() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed");
        assertThat(UNIT).exists();
        Process p = new ProcessBuilder("systemd-analyze", "verify", UNIT.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        // Unknown keys and bad values are only warned about; none are allowed. (A missing java binary is
        // reported too: the unit names Temurin 25's path, which scripts/lib.sh also prefers.)
        assertThat(out.lines().filter(l -> !l.contains("Command /usr/lib/jvm/")).toList()).as(out).isEmpty();
    }
}
