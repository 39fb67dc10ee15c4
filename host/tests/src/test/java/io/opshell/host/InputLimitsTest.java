package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** No input is lost without a word, and lines stay whole: rate limits drop whole lines and say so. */
class InputLimitsTest {
    private static final Pattern DROPPED = Pattern.compile("error: (\\d+) lines? dropped: more than 100 commands/s, your limit; slow down");

    @Test
    void aThousandPipedLinesUnderARateLimitAreEachAppliedWholeOrCountedAsDropped() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "opsh-policy");
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, """
                profiles:
                  - name: owner
                    uids: [0]
                    role: admin
                    tenants: [default]
                    limits: {commands-per-second: 100}
                """);
        try (TestServer ts = TestServer.start(OpshellServer.builder().policyFile(policy))) {
            StringBuilder input = new StringBuilder("\\mode plain\n");
            for (int i = 1; i <= 1000; i++) {
                input.append("set bulk.").append(i).append(" v\n");
            }
            String out;
            try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
                c.send(input.toString());
                c.shutdownOutput();
                out = c.readToEnd();
            }
            int applied = 0;
            int dropped = 0;
            for (String line : out.split("\n")) {
                Matcher m = DROPPED.matcher(line);
                if (line.equals("ok")) {
                    applied++;
                } else if (m.matches()) {
                    dropped += Integer.parseInt(m.group(1));
                } else {
                    throw new AssertionError("unexpected line: " + line);
                }
            }
            assertThat(applied + dropped).isEqualTo(1000);
            assertThat(dropped).as("a flood of 10 s worth at once is mostly dropped").isPositive();
            assertThat(applied).as("a burst is let through").isGreaterThanOrEqualTo(100);
            // Every applied line was applied whole: its key holds exactly "v"; none holds a piece of a line.
            try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
                c.send("\\mode plain\nkeys bulk.\n");
                c.shutdownOutput();
                List<String> keys = c.readToEnd().lines().toList();
                assertThat(keys).hasSize(applied);
                Set<String> expected = new HashSet<>();
                for (int i = 1; i <= 1000; i++) {
                    expected.add("bulk." + i);
                }
                assertThat(expected).containsAll(keys);
            }
        } finally {
            Files.deleteIfExists(policy);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aLineMustBeCompletedWithinTheLineTimeout() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder()
                .limits(SessionLimits.DEFAULT.withLineTimeout(Duration.ofSeconds(1))));
                ShellClient c = ts.kv()) {
            long start = System.nanoTime();
            // One byte every 300 ms, never a newline: input keeps coming, yet the line never ends.
            Thread dripper = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        c.send("x");
                        Thread.sleep(300);
                    }
                } catch (java.io.IOException | InterruptedException closed) {
                    // the server closed the session
                }
            });
            String out = c.readToEnd();
            dripper.interrupt();
            assertThat(out).isEqualTo("\nerror: a line was not completed within 1 s; closing the session\n");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
        }
    }
}
