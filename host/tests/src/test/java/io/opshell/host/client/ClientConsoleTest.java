package io.opshell.host.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.OpshellServer;
import io.opshell.host.SessionLimits;
import io.opshell.host.support.ClientProcess;
import io.opshell.host.support.Pty;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.Wat;
import io.opshell.store.InMemoryStateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's interactive console on a real pseudo-terminal ({@link Pty}), against a real
 * server: Ctrl-C interrupts the running step within a second and the shell keeps its state
 * (a polling test guest, and the Scheme shell), another operator's control characters arrive
 * escaped, multi-line Scheme, completion from the host, history, Ctrl-C at the prompt, Ctrl-D.
 */
class ClientConsoleTest {
    /** Setup is given room (a loaded machine starts a JVM slowly); the Ctrl-C bound is not. */
    private static final Duration SETUP = Duration.ofSeconds(30);
    private static final Duration CTRL_C_BOUND = Duration.ofSeconds(1);

    private Path home;

    @BeforeEach
    void home() throws Exception {
        home = Files.createTempDirectory(Path.of("/tmp"), "opsh-home");
    }

    @AfterEach
    void removeHome() throws Exception {
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private Pty console(TestServer ts) throws Exception {
        List<String> cmd = new ArrayList<>(ClientProcess.command(true, true));
        cmd.add("--socket=" + ts.socket());
        return Pty.start(cmd, Pty.home(home));
    }

    @Test
    void ctrlCInterruptsTheRunningStepWithinASecondAndTheShellKeepsItsState() throws Exception {
        // A shell that polls interrupted() while it spins and counts the lines it ran.
        SessionLimits limits = SessionLimits.DEFAULT.withStepDeadline(Duration.ofSeconds(20));
        try (TestServer ts = TestServer.start(OpshellServer.builder().shell("poll", Wat.resource("poll")).defaultShell("poll")
                .limits(limits)); Pty pty = console(ts)) {
            int at = pty.await("poll> ", 0, SETUP);
            pty.type("count\r");
            at = pty.await("poll> ", pty.await("1\r\n", at, SETUP), SETUP);

            pty.type("spin\r");
            Thread.sleep(500); // the step is running
            int before = pty.mark();
            long pressed = System.nanoTime();
            pty.type("\u0003");
            at = pty.await("poll> ", pty.await("interrupted", before, SETUP), SETUP);
            Duration took = Duration.ofNanos(System.nanoTime() - pressed);
            assertThat(took).as("from Ctrl-C to the next prompt").isLessThan(CTRL_C_BOUND);

            pty.type("count\r");
            at = pty.await("2\r\n", at, SETUP); // the same instance: its count went on
            pty.await("poll> ", at, SETUP);
            pty.type("\u0004");
            assertThat(pty.waitFor(SETUP)).as("exit status after Ctrl-D").isZero();
        }
    }

    @Test
    void ctrlCStopsARunawaySchemeLoopWithinASecondAndItsDefinitionsStay() throws Exception {
        // The step limit is far above the bound: only the interrupt can end the loop in time.
        SessionLimits limits = SessionLimits.DEFAULT.withStepDeadline(Duration.ofSeconds(4));
        try (TestServer ts = TestServer.start(OpshellServer.builder().defaultShell("scheme").limits(limits));
                Pty pty = console(ts)) {
            int at = pty.await("scheme> ", 0, SETUP);
            pty.type("(define (helper) 42)\r");
            at = pty.await("scheme> ", at, SETUP);
            pty.type("(define (spin n) (spin (+ n 1)))\r");
            at = pty.await("scheme> ", at, SETUP);

            pty.type("(spin 0)\r");
            Thread.sleep(500); // the loop is running
            int before = pty.mark();
            long pressed = System.nanoTime();
            pty.type("\u0003");
            int answer = pty.await("error: ", before, SETUP);
            String said = pty.screen().substring(answer);
            assertThat(said).startsWith("interrupted by the operator");
            at = pty.await("scheme> ", answer, SETUP);
            Duration took = Duration.ofNanos(System.nanoTime() - pressed);
            assertThat(took).as("from Ctrl-C to the next prompt").isLessThan(CTRL_C_BOUND);

            pty.type("(helper)\r");
            // Ctrl-D only once the console reads again: typed while the terminal is still in
            // cooked mode, the line discipline takes it as its own end-of-file and JLine never sees it.
            pty.await("scheme> ", pty.await("42\r\n", at, SETUP), SETUP);
            pty.type("\u0004");
            assertThat(pty.waitFor(SETUP)).isZero();
        }
    }

    @Test
    void anotherOperatorsControlCharactersArriveEscaped() throws Exception {
        InMemoryStateStore store = new InMemoryStateStore();
        // Clear the screen, set the window title, return to the line start, reverse the text.
        store.set("default", "motd", "hi\u001b[2J\u001b]0;pwned\u0007\r\u202eevil\u0085");
        try (TestServer ts = TestServer.start(OpshellServer.builder().store(store)); Pty pty = console(ts)) {
            int at = pty.await("kv> ", 0, SETUP);
            pty.type("get motd\r");
            at = pty.await("hi\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\u202eevil\\u0085\r\n", at, SETUP);
            pty.await("kv> ", at, SETUP);
            String screen = pty.screen();
            assertThat(screen).doesNotContain("\u001b[2J", "\u001b]0;", "\u0007", "\u202e", "\u0085");
            pty.type("\u0004");
            assertThat(pty.waitFor(SETUP)).isZero();
        }
    }

    @Test
    void multiLineSchemeCompletionFromTheHostHistoryAndCtrlCAtThePrompt() throws Exception {
        InMemoryStateStore store = new InMemoryStateStore();
        store.set("default", "motd", "hello");
        try (TestServer ts = TestServer.start(OpshellServer.builder().store(store)); Pty pty = console(ts)) {
            int at = pty.await("kv> ", 0, SETUP);
            assertThat(pty.screen()).contains("opshell: session ").contains(", shell kv");

            // Tab completes host commands and their arguments through \complete (typed ahead:
            // the editor takes keys in order, each Tab answered before the next key).
            pty.type("\\sh\tsch\t\r");
            at = pty.await("scheme> ", pty.await("opshell: shell scheme", at, SETUP), SETUP);

            // An expression spanning lines: the continuation prompt until it balances.
            pty.type("(define (twice x)\r");
            at = pty.await("...> ", at, SETUP);
            pty.type("(* 2 x))\r");
            at = pty.await("scheme> ", at, SETUP);
            pty.type("(twice 21)\r");
            at = pty.await("scheme> ", pty.await("42\r\n", at, SETUP), SETUP);

            // Ctrl-C at the prompt drops the line; the console and the session stay.
            pty.type("(twice 1000");
            at = pty.await("1000", at, SETUP); // Ctrl-C is a signal: it must not overtake the keys
            pty.type("\u0003");
            at = pty.await("scheme> ", at, SETUP);
            pty.type("(twice 4)\r");
            at = pty.await("scheme> ", pty.await("8\r\n", at, SETUP), SETUP);

            // Leaving a shell switched to: the prompt follows the session back to kv.
            pty.type("(exit)\r");
            at = pty.await("kv> ", pty.await("bye", at, SETUP), SETUP);

            // kv's commands and its keys complete too.
            pty.type("ge\tmo\t\r");
            at = pty.await("kv> ", pty.await("hello\r\n", at, SETUP), SETUP);

            pty.type("\u0004");
            assertThat(pty.waitFor(SETUP)).isZero();
            assertThat(Files.readAllLines(home.resolve(".opshell_history"))).anyMatch(l -> l.endsWith(":(twice 21)"))
                    .anyMatch(l -> l.endsWith(":get motd"));
        }
    }

    @Test
    void aSessionEndedByTheServerEndsTheConsoleWaitingAtItsPrompt() throws Exception {
        TestServer ts = TestServer.start(OpshellServer.builder());
        boolean closed = false;
        try (Pty pty = console(ts)) {
            int at = pty.await("kv> ", 0, SETUP);
            ts.close(); // shutdown: the server tells every operator, then closes
            closed = true;
            pty.await("error: server shutting down", at, SETUP);
            assertThat(pty.waitFor(SETUP)).as("exit status of a session ended by the server").isEqualTo(1);
        } finally {
            if (!closed) {
                ts.close();
            }
        }
    }
}
