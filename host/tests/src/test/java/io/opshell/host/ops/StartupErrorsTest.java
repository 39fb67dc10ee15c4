package io.opshell.host.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.opshell.host.support.ServerProcess;
import io.opshell.host.support.ServerProcess.Result;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every startup error of the real command, by its exact text: one line that names the option and
 * its value, what is wrong and what to do; exit status 1 (2 for command-line mistakes). Also
 * {@code -V} on every command, {@code policy check}, and the launcher finding a JDK 21+ when the
 * {@code java} that runs the jar is older.
 */
class StartupErrorsTest {
    private static Path dir;

    @BeforeAll
    static void files() throws Exception {
        dir = ServerProcess.tempDir();
    }

    @AfterAll
    static void clean() throws Exception {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** {@code opshell serve ARGS} (with an audit file in the test's directory): must fail; returns its one stderr line. */
    private static String startError(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(List.of(args));
        if (!all.contains("--audit")) {
            all.addAll(List.of("--audit", dir.resolve("audit.jsonl").toString()));
        }
        Result r = ServerProcess.run(all.toArray(String[]::new));
        assertThat(r.exit()).as(r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr().lines().toList()).as(r.stderr()).hasSize(1);
        return r.stderr().strip();
    }

    @Test
    void aMissingDirectoryIsNamed() throws Exception {
        assertThat(startError("--socket", "/nonexistent/opshell/opshell.sock")).isEqualTo(
                "error: --socket /nonexistent/opshell/opshell.sock: directory /nonexistent/opshell does not exist;"
                        + " create it (mkdir -p /nonexistent/opshell) or choose another path");
        assertThat(startError("--audit-fsync", "--socket", dir.resolve("s.sock").toString(), "--audit",
                "/nonexistent/audit/a.jsonl")).isEqualTo("error: --audit /nonexistent/audit/a.jsonl: directory"
                        + " /nonexistent/audit does not exist; create it (mkdir -p /nonexistent/audit) or choose another path");
    }

    @Test
    void aSocketPathOverTheLimitSaysSoWithTheLimit() throws Exception {
        String path = "/tmp/" + "s".repeat(115) + ".sock";
        assertThat(startError("--socket", path)).isEqualTo("error: --socket " + path + ": the path is 125 bytes, over the"
                + " 107-byte limit for Unix socket paths; choose a shorter path (e.g. under /run or /tmp)");
    }

    @Test
    void anOctalSocketModeGetsTheExpectedForm() throws Exception {
        assertThat(startError("--socket-mode", "0660")).isEqualTo("error: --socket-mode 0660: expected nine characters"
                + " like rw-rw---- (r, w or - for the owner, the group and others), not an octal number");
    }

    @Test
    void socketGroupMistakes() throws Exception {
        assertThat(startError("--socket-group", "no-such-group-here", "--socket-mode", "rw-rw----")).isEqualTo(
                "error: --socket-group no-such-group-here: no such group; create it (groupadd no-such-group-here) or name"
                        + " an existing group");
        assertThat(startError("--socket-group", "root")).isEqualTo("error: --socket-group root: the socket mode rw-------"
                + " gives the group no write permission, so its members cannot connect; add --socket-mode rw-rw----");
    }

    @Test
    void policyFileMistakesHaveTheirPlace() throws Exception {
        Path missing = dir.resolve("missing.yaml");
        assertThat(startError("--policy", missing.toString())).isEqualTo("error: --policy " + missing
                + ": no such file; create it (host/policy.example.yaml is an example) or fix the path");
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "profiles:\n  - name: a\n    role: admin\n   tenants: [t]\n");
        assertThat(startError("--policy", broken.toString())).isEqualTo("error: --policy " + broken + " line 4, column 4:"
                + " expected <block end>, but found '<block mapping start>' (while parsing a block collection); fix the"
                + " YAML there");
        Path wrong = dir.resolve("wrong.yaml");
        Files.writeString(wrong, "profiles:\n  - name: a\n    role: root\n    tenants: [t]\n");
        assertThat(startError("--policy", wrong.toString())).isEqualTo("error: --policy " + wrong + " line 3, column 11:"
                + " profile 'a': role 'root' is not one of read-only, read-write, admin");
    }

    @Test
    void otherOptions() throws Exception {
        assertThat(startError("--metrics-listen", "9404")).isEqualTo(
                "error: --metrics-listen 9404: expected HOST:PORT, e.g. 127.0.0.1:9404 or [::1]:9404");
        assertThat(startError("--shell", "bash")).isEqualTo("error: --shell bash: no such shell; choose one of echo, kv,"
                + " scheme");
        assertThat(startError("--log-level", "chatty")).isEqualTo(
                "error: --log-level chatty: expected one of trace, debug, info, warn, error");
        assertThat(startError("--step-ms", "0")).isEqualTo("error: --step-ms 0: must be at least 1");
        assertThat(startError("--line-kib", "2048")).isEqualTo("error: --line-kib 2048: a line cannot be longer than the"
                + " pending input a session may hold (--input-kib 1024); lower it or raise --input-kib");
        Result r = ServerProcess.run("serve", "--bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr().strip()).isEqualTo("error: Unknown option: '--bogus'; see opshell serve --help");
    }

    @Test
    void everyCommandHasAVersionAndHelp() throws Exception {
        for (List<String> command : List.of(List.of("-V"), List.of("--version"), List.of("serve", "-V"),
                List.of("policy", "check", "--version"))) {
            Result r = ServerProcess.run(command.toArray(String[]::new));
            assertThat(r.exit()).isZero();
            assertThat(r.stdout()).as(String.join(" ", command)).matches("opshell \\d+\\.\\d+\\.\\d+\\S* \\(Java \\d+.*\\)\\n");
        }
        Result help = ServerProcess.run("serve", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.stdout()).contains("--socket-group=GROUP").contains("--metrics-listen=HOST:PORT")
                .contains("--log-config=FILE");
    }

    @Test
    void policyCheckPrintsErrorsAndWarnings() throws Exception {
        Path policy = dir.resolve("lint.yaml");
        Files.writeString(policy, """
                profiles:
                  - {name: owner, uids: [0], role: admin, tenants: [main]}
                  - {name: nobody, role: read-only, tenants: [side]}
                  - {name: shadow, uids: [0], role: read-only, tenants: [main]}
                  - {name: ghosts, groups: [no-such-group-here], uids: [4999999], role: read-only, tenants: [main]}
                """);
        Result r = ServerProcess.run("policy", "check", policy.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).isEqualTo("""
                warning: profile 'nobody' matches nobody: it lists no uids and no groups, and 'unknown' does not name it
                warning: profile 'shadow' matches nobody: earlier profiles list every uid and group it lists (the first match wins)
                warning: profile 'ghosts': uid 4999999 is not a user on this system (getent passwd 4999999 finds nothing)
                warning: profile 'ghosts': group 'no-such-group-here' does not exist on this system (getent group no-such-group-here finds nothing)
                warning: tenant 'side' is reachable by no one: only 'nobody' grants it, and that profile matches nobody
                policy %s: 4 profiles, 5 warnings
                """.formatted(policy));
        assertThat(ServerProcess.run("policy", "check", "--strict", policy.toString()).exit()).isEqualTo(3);
        Path broken = dir.resolve("broken-check.yaml");
        Files.writeString(broken, "profiles: [oops\n");
        Result bad = ServerProcess.run("policy", "check", broken.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.stderr()).startsWith("error: policy " + broken + " line 2, column 1: ");
    }

    /** `java -jar opshell.jar` with an older default Java: the launcher finds a JDK 21+ and runs there. */
    @Test
    void theJarFindsANewJdkWhenItsJavaIsOld() throws Exception {
        Optional<Path> oldJava = Arrays.stream(Optional.ofNullable(new File("/usr/lib/jvm").listFiles()).orElse(new File[0]))
                .map(f -> f.toPath().resolve("bin/java")).filter(Files::isExecutable)
                .filter(j -> j.toString().contains("-17-") || j.toString().contains("-11-")).findFirst();
        assumeTrue(oldJava.isPresent(), "no Java 11 or 17 under /usr/lib/jvm");
        Process p = new ProcessBuilder(oldJava.get().toString(), "-jar", ServerProcess.JAR.toString(), "-V")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isZero();
        assertThat(out).matches("opshell \\S+ \\(Java (2[1-9]|[3-9]\\d).*\\)\\n");

    }
}
