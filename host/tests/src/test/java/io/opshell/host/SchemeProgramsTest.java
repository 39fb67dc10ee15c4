package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Scheme shell's program suite: each {@code shells/scheme/tests/NAME.scm} is piped through
 * the real socket of a fresh server (fresh state) and its whole output after the banner line must
 * equal {@code NAME.out}.
 */
class SchemeProgramsTest {
    private static final Path CASES = Path.of("../../shells/scheme/tests");
    /**
     * The programs test the language, not the CPU limit (CpuDeadlineTest does): their loops of a
     * million steps take 0.3 s on wasmtime and 1.5-4 s on Chicory, and once took over 7.5 s (the
     * soft deadline of a 10 s limit) in a clean CI run: the evaluator is one huge JVM method that
     * HotSpot deoptimizes when a program takes new paths, and it runs interpreted until C2 has
     * compiled it again. So the limit is far above any of that.
     */
    private static final SessionLimits PROGRAM_LIMITS = SessionLimits.DEFAULT.withStepDeadline(java.time.Duration.ofSeconds(60));
    /** Programs about the interruption itself ({@code interrupt-*.scm}), under the limit their output names. */
    private static final String INTERRUPT_PROGRAMS = "interrupt-";
    /**
     * Their runaway loop ends at the soft deadline (3 s); what they run after it (a 90,000-deep
     * recursion, which fails if the interrupted one left its pending calls behind) must fit in it
     * too, and on Chicory while HotSpot recompiles the evaluator 1 s was once not enough.
     */
    private static final SessionLimits INTERRUPT_LIMITS = SessionLimits.DEFAULT.withStepDeadline(java.time.Duration.ofSeconds(4));

    @TestFactory
    Stream<DynamicTest> programs() throws Exception {
        List<Path> programs;
        try (Stream<Path> files = Files.list(CASES)) {
            programs = files.filter(p -> p.toString().endsWith(".scm")).sorted().toList();
        }
        assertThat(programs).as("Scheme test programs in " + CASES.toAbsolutePath()).isNotEmpty();
        return programs.stream().map(program -> DynamicTest.dynamicTest(program.getFileName().toString(), () -> {
            Path expected = Path.of(program.toString().replaceFirst("\\.scm$", ".out"));
            SessionLimits limits = program.getFileName().toString().startsWith(INTERRUPT_PROGRAMS) ? INTERRUPT_LIMITS
                    : PROGRAM_LIMITS;
            try (TestServer ts = TestServer.start(OpshellServer.builder().defaultShell("scheme").limits(limits));
                    ShellClient c = ShellClient.connect(ts.socket(), "")) {
                c.sendBytes(Files.readAllBytes(program));
                c.shutdownOutput();
                String all = c.readToEnd();
                String afterBanner = all.substring(all.indexOf('\n') + 1);
                assertThat(afterBanner).isEqualTo(Files.readString(expected));
            }
        }));
    }

    @Test
    void changesMadeInSchemeAreSeenByKvAndTheOtherWayRound() throws Exception {
        try (TestServer own = TestServer.start(OpshellServer.builder().defaultShell("scheme"));
                ShellClient scheme = ShellClient.connect(own.socket(), "scheme> ");
                ShellClient kv = ShellClient.connect(own.socket(), "kv> ")) {
            scheme.readToPrompt();
            kv.send("\\shell kv\n");
            kv.readToPrompt();

            scheme.send("(kv-set! \"from-scheme\" \"hello\")\n");
            scheme.readToPrompt();
            assertThat(kv.command("get from-scheme")).isEqualTo("hello");

            assertThat(kv.command("set from-kv 41")).isEqualTo("ok");
            scheme.send("(+ 1 (string->number (kv-get \"from-kv\")))\n");
            assertThat(scheme.readToPrompt()).isEqualTo("42\n");

            assertThat(kv.command("add 5")).isEqualTo("5");
            scheme.send("(counter)\n");
            assertThat(scheme.readToPrompt()).isEqualTo("5\n");
        }
    }
}
