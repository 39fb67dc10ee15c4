package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.Socat;
import io.opshell.store.StateStore;
import io.opshell.store.StateStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --audit /dev/full}: the audit log opens but no record can be written. Every change
 * (kv set, del, add; Scheme kv-set!, kv-delete!, counter-add!) is refused with the audit error and
 * the state is unchanged, while sessions still open and read; the server log says so once, not
 * once per refused record.
 */
class AuditUnavailableTest {
    private static final String REFUSED = "audit log unavailable; nothing was changed";

    private Path dir;
    private ServerProcess server;

    @BeforeEach
    void directory() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opsha");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) {
            server.close();
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void everyChangeIsRefusedAndNothingChanges() throws Exception {
        String spec = "sqlite:" + dir.resolve("state.db");
        try (StateStore before = StateStores.open(spec, false)) {
            before.set("default", "motd", "hello");
            before.add("default", 5);
        }
        server = ServerProcess.start(dir.resolve("s.sock"), dir.resolve("server.log"), List.of(), "--store", spec,
                "--audit", "/dev/full");

        List<String> kv = Socat.kvAnswers(Socat.session(server.socket(),
                "set motd changed\nset fresh 1\ndel motd\nadd 1\nget motd\nsum\nkeys\n"));
        assertThat(kv).containsExactly("error: set motd: " + REFUSED, "error: set fresh: " + REFUSED, "error: del motd: " + REFUSED,
                "error: add: " + REFUSED, "hello", "5", "motd");

        String scheme = Socat.session(server.socket(), "\\shell scheme\n(kv-set! \"motd\" \"changed\")\n"
                + "(kv-delete! \"motd\")\n(counter-add! 1)\n(list (kv-get \"motd\") (counter) (kv-keys))\n");
        assertThat(scheme).contains(
                "scheme> error: kv-set!: " + REFUSED + "\n",
                "scheme> error: kv-delete!: " + REFUSED + "\n",
                "scheme> error: counter-add!: " + REFUSED + "\n",
                "scheme> (\"hello\" 5 (\"motd\"))\n");
        assertThat(server.stop()).isZero();

        try (StateStore after = StateStores.open(spec, false)) {
            assertThat(after.get("default", "motd")).contains("hello");
            assertThat(after.get("default", "fresh")).isEmpty();
            assertThat(after.sum("default")).isEqualTo(5);
        }
        Matcher loud = Pattern.compile("AUDIT LOG UNAVAILABLE: cannot write /dev/full").matcher(server.log());
        int count = 0;
        while (loud.find()) {
            count++;
        }
        assertThat(count).as("the server log says it once, when the log stops working:\n" + server.log()).isEqualTo(1);
    }
}
