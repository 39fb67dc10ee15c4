package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ShellClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The byte bomb: a read-write operator's Scheme writes 64 KiB values under fresh keys, line after
 * line, into a standalone server with a small heap (a separate JVM, -Xmx256m). It ends in QUOTA
 * refusals, not an OutOfMemoryError: in memory by the store's bound on all tenants (a share of
 * the heap), in SQLite by the tenant's byte quota. Another session keeps working throughout, and
 * the JVM stays up.
 */
class ByteBombTest {
    private static final List<String> SMALL_HEAP = List.of("-Xmx256m");
    /** Values written per input line: each line is one step, bounded by the CPU limit. */
    private static final int PER_LINE = 16;
    /** Far more lines than any bound here needs (256 MiB / 1 MiB per line); the loop stops at the first refusal. */
    private static final int MAX_LINES = 300;

    private Path dir;
    private ServerProcess server;

    @BeforeEach
    void directory() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "opshb");
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

    private ServerProcess start(String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("--shell", "scheme", "--audit", dir.resolve("audit.jsonl").toString()));
        all.addAll(List.of(args));
        return ServerProcess.start(dir.resolve("s.sock"), dir.resolve("server.log"), SMALL_HEAP, all.toArray(String[]::new));
    }

    private static ShellClient scheme(Path socket) throws Exception {
        ShellClient c = ShellClient.connect(socket, "scheme> ");
        c.readToPrompt();
        return c;
    }

    private static String bombLine(int line) {
        return "(do ((i 0 (+ i 1))) ((= i " + PER_LINE + ")) (kv-set! (string-append \"bomb\" (number->string (+ "
                + line * PER_LINE + " i))) (make-string 65536 #\\x)))";
    }

    /** Runs the bomb until its first refusal (which it returns), with a bystander adding after every line. */
    private String bombUntilRefused(ShellClient bomber, ShellClient bystander) throws Exception {
        for (int line = 0; line < MAX_LINES; line++) {
            String answer = bomber.command(bombLine(line));
            assertThat(bystander.command("(counter-add! 1)")).isEqualTo(Integer.toString(line + 1));
            if (!answer.isEmpty()) {
                return answer;
            }
        }
        throw new AssertionError("no refusal after " + MAX_LINES * PER_LINE + " values of 64 KiB");
    }

    /** Refused again, nothing stored meanwhile; the bystander reads, and may shrink what is there. */
    private void assertStillServing(ShellClient bomber, ShellClient bystander, String refusal) throws Exception {
        for (int more = 0; more < 3; more++) {
            assertThat(bomber.command(bombLine(MAX_LINES + more))).isEqualTo(refusal);
        }
        assertThat(bystander.command("(string-length (kv-get \"bomb0\"))")).isEqualTo("65536");
        assertThat(bystander.command("(kv-set! \"bomb0\" \"small again\")")).isEmpty();
        assertThat(bystander.command("(kv-get \"bomb0\")")).isEqualTo("\"small again\"");
        assertThat(server.isAlive()).isTrue();
        assertThat(server.log()).doesNotContain("OutOfMemoryError");
    }

    @Test
    void inMemoryTheStoresBoundOnAllTenantsStopsIt() throws Exception {
        server = start("--store", "memory");
        try (ShellClient bomber = scheme(server.socket()); ShellClient bystander = scheme(server.socket())) {
            String refusal = bombUntilRefused(bomber, bystander);
            assertThat(refusal).matches("error: kv-set!: the in-memory store is full \\(\\d+ of \\d+ bytes for all tenants\\)");
            assertStillServing(bomber, bystander, refusal);
        }
    }

    @Test
    void inSqliteTheTenantsByteQuotaStopsIt() throws Exception {
        server = start("--store", "sqlite:" + dir.resolve("state.db"), "--tenant-quota-mib", "16");
        try (ShellClient bomber = scheme(server.socket()); ShellClient bystander = scheme(server.socket())) {
            String refusal = bombUntilRefused(bomber, bystander);
            assertThat(refusal).matches("error: kv-set!: tenant default is full \\(\\d+ of 16777216 bytes\\)");
            assertStillServing(bomber, bystander, refusal);
        }
    }
}
