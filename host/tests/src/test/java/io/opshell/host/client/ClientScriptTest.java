package io.opshell.host.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.OpshellServer;
import io.opshell.host.support.ClientProcess;
import io.opshell.host.support.ClientProcess.Result;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.store.InMemoryStateStore;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The opshell client run by a script (commands as arguments, or piped input), as a real process
 * against a real server: what it prints, its exit status (0 all answers succeeded, 1 an error,
 * 2 no session), --json, --stop-on-error, a thousand pipelined lines each paired with its own
 * answer, a rate limit that delays rather than drops, and a server that goes away mid-run.
 */
class ClientScriptTest {
    private static final String NO_INPUT = "";

    private static String socket(TestServer ts) {
        return "--socket=" + ts.socket();
    }

    @Test
    void commandsFromArgumentsPrintTheirAnswersAndExitZero() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            Result r = ClientProcess.run(NO_INPUT, socket(ts), "set motd hello world", "get motd", "add 2", "sum");
            assertThat(r.out()).isEqualTo("ok\nhello world\n2\n2\n");
            assertThat(r.err()).isEmpty();
            assertThat(r.exit()).isZero();
        }
    }

    @Test
    void anErrorAnswerExitsOneAndTheRestStillRuns() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            Result r = ClientProcess.run(NO_INPUT, socket(ts), "get nope", "set after 1");
            assertThat(r.out()).isEqualTo("error: no such key: nope\nok\n");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(ClientProcess.run(NO_INPUT, socket(ts), "get after").out()).isEqualTo("1\n");
        }
    }

    @Test
    void noServerExitsTwoWithOneErrorLine() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh-none");
        try {
            Result r = ClientProcess.run(NO_INPUT, "--socket", dir.resolve("opshell.sock").toString(), "sum");
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("error: no opshell socket at " + dir.resolve("opshell.sock")).hasLineCount(1);

            Path notASocket = Files.writeString(dir.resolve("file"), "x");
            Result file = ClientProcess.run(NO_INPUT, "--socket", notASocket.toString(), "sum");
            assertThat(file.exit()).isEqualTo(2);
            assertThat(file.err()).isEqualTo("error: " + notASocket + " is not a socket; give the server's socket with --socket PATH\n");
        } finally {
            Files.deleteIfExists(dir.resolve("file"));
            Files.delete(dir);
        }
    }

    @Test
    void aConnectionRefusedByTheServerExitsTwoWithItsReason() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().maxSessions(1)); ShellClient holder = ts.kv()) {
            Result r = ClientProcess.run(NO_INPUT, socket(ts), "sum");
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("error: server busy: 1 sessions open, the limit; try again later\n");
        }
    }

    @Test
    void aConnectionRefusedByThePolicyExitsTwoWithItsReason() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh-policy");
        Path policy = Files.writeString(dir.resolve("policy.yaml"), """
                unknown: refuse
                profiles:
                  - name: somebody-else
                    uids: [%d]
                    role: admin
                    tenants: [default]
                """.formatted(myUid() + 4242));
        try (TestServer ts = TestServer.start(OpshellServer.builder().policyFile(policy))) {
            Result r = ClientProcess.run(NO_INPUT, socket(ts), "sum");
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("error: uid " + myUid() + " ").contains("is not allowed to use this console").hasLineCount(1);
        } finally {
            Files.delete(policy);
            Files.delete(dir);
        }
    }

    @Test
    void jsonPrintsOneObjectPerLineAsTheServerSentIt() throws Exception {
        InMemoryStateStore store = new InMemoryStateStore();
        store.set("default", "two-lines", "first\nsecond \"quoted\"");
        try (TestServer ts = TestServer.start(OpshellServer.builder().store(store))) {
            Result r = ClientProcess.run(NO_INPUT, "--json", socket(ts), "get two-lines", "get nope", "", "\\mode plain", "sum");
            assertThat(r.out()).isEqualTo("""
                    {"input":"get two-lines","ok":true,"output":"first\\nsecond \\"quoted\\""}
                    {"input":"get nope","ok":false,"output":"error: no such key: nope"}
                    {"input":"","ok":true,"output":""}
                    {"input":"\\\\mode plain","ok":false,"output":"error: the client keeps the session in json mode; use --json for JSON output"}
                    {"input":"sum","ok":true,"output":"0"}
                    """);
            assertThat(r.exit()).isEqualTo(1);
        }
    }

    @Test
    void stopOnErrorRunsNothingAfterTheFailingLine() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            Result r = ClientProcess.run("set first 1\nget nope\nset second 2\nset third 3\n", "--stop-on-error", socket(ts));
            assertThat(r.out()).isEqualTo("ok\nerror: no such key: nope\n");
            assertThat(r.err()).isEqualTo("error: stopped at line 2 (--stop-on-error); the lines after it were not sent\n");
            assertThat(r.exit()).isEqualTo(1);
            Result after = ClientProcess.run(NO_INPUT, socket(ts), "keys");
            assertThat(after.out()).isEqualTo("first\n");
        }
    }

    @Test
    void aThousandPipedLinesArePipelinedAndEachAnswerIsPairedWithItsLine() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            StringBuilder sets = new StringBuilder();
            StringBuilder gets = new StringBuilder();
            for (int i = 1; i <= 1000; i++) {
                sets.append("set bulk.").append(i).append(" value ").append(i).append('\n');
                gets.append("get bulk.").append(i).append('\n');
            }
            Result set = ClientProcess.run(sets.toString(), socket(ts));
            assertThat(set.exit()).as(set.err()).isZero();
            assertThat(set.out()).isEqualTo("ok\n".repeat(1000));

            Result get = ClientProcess.run(gets.toString(), "--json", socket(ts));
            assertThat(get.exit()).as(get.err()).isZero();
            List<String> lines = get.out().lines().toList();
            assertThat(lines).hasSize(1000);
            for (int i = 1; i <= 1000; i++) {
                assertThat(lines.get(i - 1)).isEqualTo("{\"input\":\"get bulk." + i + "\",\"ok\":true,\"output\":\"value " + i + "\"}");
            }
        }
    }

    @Test
    void underARateLimitTheClientSendsNoFasterThanTheServerAdmitsSoNoLineIsDropped() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh-policy");
        Path policy = Files.writeString(dir.resolve("policy.yaml"), """
                profiles:
                  - name: owner
                    uids: [%d]
                    role: admin
                    tenants: [default]
                    limits: {commands-per-second: 50}
                """.formatted(myUid()));
        try (TestServer ts = TestServer.start(OpshellServer.builder().policyFile(policy))) {
            StringBuilder input = new StringBuilder();
            for (int i = 1; i <= 200; i++) { // 4 s worth at 50/s: a burst of 50, the rest delayed
                input.append("set rated.").append(i).append(" v\n");
            }
            Result r = ClientProcess.run(input.toString(), socket(ts));
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).isEqualTo("ok\n".repeat(200));
            assertThat(r.exit()).isZero();
        } finally {
            Files.delete(policy);
            Files.delete(dir);
        }
    }

    @Test
    void quitEndsTheRunAndLinesAfterItAreReportedNotAnswered() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder())) {
            Result clean = ClientProcess.run(NO_INPUT, socket(ts), "add 1", "quit");
            assertThat(clean.out()).isEqualTo("1\nbye\n");
            assertThat(clean.exit()).isZero();

            Result cut = ClientProcess.run("add 1\nquit\nadd 5\n", socket(ts));
            assertThat(cut.out()).startsWith("2\nbye\nerror: not ");
            assertThat(cut.exit()).isEqualTo(1);
            assertThat(ClientProcess.run(NO_INPUT, socket(ts), "sum").out()).as("add 5 never ran").isEqualTo("2\n");
        }
    }

    @Test
    void aServerThatGoesAwayEndsTheClientThoughItsInputStaysOpen() throws Exception {
        TestServer ts = TestServer.start(OpshellServer.builder());
        boolean closed = false;
        try (ClientProcess c = ClientProcess.start(socket(ts))) {
            OutputStream in = c.stdin();
            in.write("add 1\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertThat(TestServer.eventually(Duration.ofSeconds(20), () -> c.outSoFar().equals("1\n"))).isTrue();
            ts.close(); // the input stays open: the client must not wait for it
            closed = true;
            Result r = c.finish();
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("error: server shutting down")
                    .contains("error: the session ended before the input did; the rest of the input was not sent");
        } finally {
            if (!closed) {
                ts.close();
            }
        }
    }

    @Test
    void usageErrorsExitTwoAndHelpAndVersionExitZero() throws Exception {
        Result bad = ClientProcess.run(NO_INPUT, "--bogus");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).startsWith("error: unknown option --bogus").contains("usage: scripts/connect [--socket PATH]");
        assertThat(ClientProcess.run(NO_INPUT, "--socket").err()).startsWith("error: --socket needs a PATH");

        Result help = ClientProcess.run(NO_INPUT, "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).startsWith("usage: scripts/connect [--socket PATH] [--json] [--stop-on-error] [COMMAND...]")
                .contains("exit status: 0");
        Result version = ClientProcess.run(NO_INPUT, "-V");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("opshell client ");
    }

    private static long myUid() throws Exception {
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    }
}
