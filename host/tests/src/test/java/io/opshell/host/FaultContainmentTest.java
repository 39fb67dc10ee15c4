package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.Wat;
import java.io.IOException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hostile input and hostile clients hurt nobody but themselves. */
class FaultContainmentTest {
    static TestServer ts;

    @BeforeAll
    static void start() throws Exception {
        ts = TestServer.start(OpshellServer.builder()
                .shell("hog", Wat.resource("hog"))
                .shell("liar", Wat.resource("liar"))
                .limits(SessionLimits.DEFAULT.withIdleTimeout(Duration.ofSeconds(2)).withWriteTimeout(Duration.ofSeconds(2))));
    }

    @AfterAll
    static void stop() throws Exception {
        ts.close();
    }

    @Test
    void aGuestThatEatsAllItsMemoryIsReplaced() throws Exception {
        try (ShellClient c = ShellClient.connect(ts.socket(), "hog> ")) {
            c.send("\\shell hog\n");
            c.readToPrompt();
            c.send("eat\n");
            assertThat(c.readToPrompt()).isEqualTo(
                    "error: shell aborted (a panic or unreachable code); starting a fresh shell (its definitions are lost)\n");
            c.send("\\shell kv\n");
            c.send("sum\n");
            c.shutdownOutput();
            assertThat(c.readToEnd()).contains("kv> 0\n");
        }
    }

    @Test
    void aShellLyingAboutItsOutputIsStopped() throws Exception {
        try (ShellClient c = ShellClient.connect(ts.socket(), "kv> ")) {
            c.readToPrompt();
            c.send("\\shell liar\nanything\n\\shell kv\n");
            assertThat(c.readToPrompt()).contains(
                    "error: shell reported 100000 bytes of output in a buffer of 16; starting a fresh shell");
        }
    }

    @Test
    void aHundredMegabyteLineIsRefusedWithoutHarm() throws Exception {
        try (ShellClient c = ts.kv()) {
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 100; i++) {
                c.sendBytes(chunk);
            }
            c.send("\n");
            assertThat(c.readToPrompt()).isEqualTo("error: line of 104857601 bytes dropped: longer than 65536 bytes, your limit\n");
            assertThat(c.command("set after big")).isEqualTo("ok");
        }
    }

    @Test
    void binaryGarbageAndNulBytesGetErrorsAndTheSessionGoesOn() throws Exception {
        try (ShellClient c = ts.kv()) {
            byte[] garbage = new byte[256 * 1024];
            new Random(42).nextBytes(garbage);
            for (int i = 0; i < garbage.length; i++) {
                if (garbage[i] == '\\' || garbage[i] == '\n') {
                    garbage[i] = 0; // keep host commands and line count out of it
                }
            }
            c.sendBytes(garbage);
            c.send("\nset ok\u0000 nul\n");
            c.readToPrompt();
            assertThat(c.readToPrompt()).startsWith("error:");
            assertThat(c.command("get after")).isIn("big", "error: no such key: after");
        }
    }

    @Test
    void aClientThatNeverReadsIsDisconnectedByTheWriteTimeoutAndOthersAreServed() throws Exception {
        // Idle timeout far away: only the write timeout can end the stuck session.
        SessionLimits limits = SessionLimits.DEFAULT.withWriteTimeout(Duration.ofSeconds(2));
        try (TestServer own = TestServer.start(OpshellServer.builder().limits(limits))) {
            ShellClient slow = own.kv();
            slow.command("set wide " + "w".repeat(60_000));
            // Ask for far more output than the socket buffers hold, and never read it.
            for (int i = 0; i < 200; i++) {
                try {
                    slow.send("get wide\n".repeat(10));
                } catch (IOException e) {
                    break; // the server gave up on us: what this test wants
                }
            }
            try (ShellClient other = own.kv()) {
                assertThat(other.command("get wide")).hasSize(60_000);
            }
            assertThat(TestServer.eventually(Duration.ofSeconds(30), () -> own.server.sessionCount() == 0))
                    .as("the stuck session ended").isTrue();
            slow.close();
        }
    }

    @Test
    void outputPerStepIsCutAtTheLimitAndTheOperatorIsTold() throws Exception {
        try (ShellClient setup = ts.kv()) {
            setup.command("set wide " + "w".repeat(60_000));
        }
        try (ShellClient c = ShellClient.connect(ts.socket(), "bytes dropped\n")) {
            c.send("get wide\n".repeat(20)); // one chunk, one step, about 1.2 MB of answers
            String step = c.readToPrompt();
            assertThat(step).contains("error: output cut after 1048576 bytes (the per-step limit); ");
            assertThat(step.length()).isLessThan(1_048_576 + 1_000);
        }
    }

    @Test
    void listingsBeyondTheCapAskForANarrowerPrefix() throws Exception {
        try (TestServer small = TestServer.start(OpshellServer.builder().limits(SessionLimits.DEFAULT.withMaxKeysListed(3)));
                ShellClient c = small.kv()) {
            for (String k : new String[] {"a.1", "a.2", "b.1", "b.2"}) {
                c.command("set " + k + " x");
            }
            assertThat(c.command("keys")).isEqualTo("error: keys: too many keys match; give a longer prefix");
            assertThat(c.command("keys a.")).isEqualTo("a.1\na.2");
        }
    }

    @Test
    void connectionsBeyondTheServerCapAreRefusedWithAMessage() throws Exception {
        try (TestServer small = TestServer.start(OpshellServer.builder().maxSessions(2));
                ShellClient a = small.kv(); ShellClient b = small.kv();
                ShellClient c = ShellClient.connect(small.socket(), "kv> ")) {
            assertThat(c.readToEnd()).isEqualTo("error: server busy: 2 sessions open, the limit; try again later\n");
            assertThat(a.command("sum")).isEqualTo("0");
        }
    }

    @Test
    void aSessionEndsAtItsMaximumLengthEvenWhenBusy() throws Exception {
        SessionLimits limits = SessionLimits.DEFAULT.withMaxSessionLength(Duration.ofSeconds(2));
        try (TestServer short_ = TestServer.start(OpshellServer.builder().limits(limits)); ShellClient c = short_.kv()) {
            long start = System.nanoTime();
            String last = "";
            while (System.nanoTime() - start < Duration.ofSeconds(10).toNanos()) {
                try {
                    last = c.command("add 1");
                } catch (IOException e) {
                    last = e.getMessage(); // the server closed after saying why
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(last).contains("error: sessions last at most 2 s; closing the session");
        }
    }

    @Test
    void anIdleClientIsDisconnectedWithAMessage() throws Exception {
        try (ShellClient c = ts.kv()) {
            assertThat(c.readToEnd()).isEqualTo("\nerror: no input for 2 s; closing the session\n");
        }
    }
}
