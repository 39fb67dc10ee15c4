package io.opshell.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser.ParseContext;
import org.junit.jupiter.api.Test;

/**
 * The client's parts that need no server: reading the server's JSON, escaping for the terminal,
 * when a Scheme entry is complete, words for completion, the command line, what {@code \whoami}
 * says, and how script input is cut into lines. The client as a whole is tested through a real
 * server in host/tests (ClientScriptTest, ClientConsoleTest).
 */
class ClientPartsTest {
    @Test
    void answersAreReadFromTheServersObjects() throws Exception {
        Answer a = Answer.parse("{\"input\":\"get k\",\"ok\":true,\"output\":\"a\\nb\\u001b\\\"\"}");
        assertThat(a.input()).isEqualTo("get k");
        assertThat(a.ok()).isTrue();
        assertThat(a.more()).isFalse();
        assertThat(a.output()).isEqualTo("a\nb\u001b\"");
        Answer more = Answer.parse("{\"input\":\"(define (f x)\",\"ok\":true,\"more\":true,\"output\":\"\",\"extra\":{\"n\":[1,2.5e3,null]}}");
        assertThat(more.more()).isTrue();
        Answer host = Answer.parse("{\"ok\":false,\"output\":\"error: no input for 1800 s; closing the session\"}");
        assertThat(host.isHostMessage()).isTrue();
        assertThatThrownBy(() -> Answer.parse("{\"ok\":true}")).isInstanceOf(JsonLine.MalformedException.class);
        assertThatThrownBy(() -> Answer.parse("{\"ok\":true,\"output\":\"x\"} trailing")).isInstanceOf(JsonLine.MalformedException.class);
        assertThatThrownBy(() -> Answer.parse("{\"ok\":tru")).isInstanceOf(JsonLine.MalformedException.class);
    }

    @Test
    void theClientsOwnAnswersHaveTheServersShapeAndReadBack() throws Exception {
        Answer local = Answer.local("set k \"x\"\u0007", false, "error: not answered: the session ended");
        assertThat(local.raw()).isEqualTo("{\"input\":\"set k \\\"x\\\"\\u0007\",\"ok\":false,\"output\":\"error: not answered: the session ended\"}");
        assertThat(Answer.parse(local.raw())).isEqualTo(local);
        assertThat(Answer.plainLine("error: server busy").ok()).isFalse();
    }

    @Test
    void controlCharactersAreEscapedForTheTerminalAndTheRestIsLeftAlone() {
        assertThat(TerminalText.escape("plain text\twith tab\nand newline, é, 日本")).isEqualTo("plain text\twith tab\nand newline, é, 日本");
        assertThat(TerminalText.escape("a\u001b[2Jb\r\u0007\u007f")).isEqualTo("a\\x1b[2Jb\\x0d\\x07\\x7f");
        assertThat(TerminalText.escape("\u0085\u009b\u202a\u202e\u2066\u2069\u2070")).isEqualTo("\\u0085\\u009b\\u202a\\u202e\\u2066\\u2069\u2070");
        // A JSON line stays valid JSON with the same meaning: \\u202e is that character.
        assertThat(TerminalText.escape("{\"output\":\"\u202eevil\"}")).isEqualTo("{\"output\":\"\\u202eevil\"}");
    }

    @Test
    void aSchemeEntryIsCompleteWhenItsParenthesesBalanceOutsideStringsCommentsAndCharacters() {
        assertThat(EntryParser.incompleteScheme("(define (f x)")).isTrue();
        assertThat(EntryParser.incompleteScheme("(define (f x)\n  (* x 2))")).isFalse();
        assertThat(EntryParser.incompleteScheme("(display \"(\")")).isFalse();
        assertThat(EntryParser.incompleteScheme("(display \"a\\\"(\")")).isFalse();
        assertThat(EntryParser.incompleteScheme("(string-append \"open")).isTrue();
        assertThat(EntryParser.incompleteScheme("(f) ; a comment (")).isFalse();
        assertThat(EntryParser.incompleteScheme("(list #\\( #\\))")).isFalse();
        assertThat(EntryParser.incompleteScheme("(f))")).as("too many closers: the shell says so").isFalse();
        assertThat(EntryParser.incompleteScheme("42")).isFalse();
    }

    @Test
    void theParserAsksForMoreOnlyInSchemeAndNeverForHostCommands() throws Exception {
        EntryParser scheme = new EntryParser(() -> "scheme");
        assertThatThrownBy(() -> scheme.parse("(define (f x)", 13, ParseContext.ACCEPT_LINE)).isInstanceOf(EOFError.class);
        scheme.parse("\\shell (", 8, ParseContext.ACCEPT_LINE);
        new EntryParser(() -> "kv").parse("set k (unbalanced", 17, ParseContext.ACCEPT_LINE);
        // Completion never fails, whatever the balance.
        scheme.parse("(define (f x)", 13, ParseContext.COMPLETE);
    }

    @Test
    void wordsForCompletionSplitAtSpacesAndInSchemeAtParentheses() {
        ParsedLine kv = EntryParser.words("get ord", 7, false);
        assertThat(kv.words()).containsExactly("get", "ord");
        assertThat(kv.wordIndex()).isEqualTo(1);
        assertThat(kv.word()).isEqualTo("ord");
        ParsedLine fresh = EntryParser.words("get ", 4, false);
        assertThat(fresh.words()).containsExactly("get", "");
        assertThat(fresh.wordIndex()).isEqualTo(1);
        ParsedLine scheme = EntryParser.words("(kv-get \"ord", 12, true);
        assertThat(scheme.words()).containsExactly("kv-get", "\"ord");
        assertThat(scheme.wordIndex()).isEqualTo(1);
        ParsedLine middle = EntryParser.words("(defi (x))", 5, true);
        assertThat(middle.word()).isEqualTo("defi");
        assertThat(middle.wordCursor()).isEqualTo(4);
    }

    @Test
    void theCommandLineTakesOptionsBeforeCommands() throws Exception {
        ClientOptions o = ClientOptions.parse(new String[] {"--socket", "/run/s", "--json", "--stop-on-error", "get k", "--json"}, null);
        assertThat(o.socket()).isEqualTo(Path.of("/run/s"));
        assertThat(o.json()).isTrue();
        assertThat(o.stopOnError()).isTrue();
        assertThat(o.commands()).containsExactly("get k", "--json");
        assertThat(ClientOptions.parse(new String[] {"--", "-x"}, null).commands()).containsExactly("-x");
        assertThat(ClientOptions.parse(new String[] {}, "/env/s").socket()).isEqualTo(Path.of("/env/s"));
        assertThat(ClientOptions.parse(new String[] {"--socket=/a"}, "/env/s").socket()).isEqualTo(Path.of("/a"));
        assertThat(ClientOptions.parse(new String[] {}, null).socket()).isEqualTo(Path.of("./opshell.sock"));
        assertThat(ClientOptions.parse(new String[] {"-V"}, null).action()).isEqualTo(ClientOptions.Action.VERSION);
        assertThatThrownBy(() -> ClientOptions.parse(new String[] {"--sock", "x"}, null)).hasMessageStartingWith("error: unknown option --sock");
        assertThatThrownBy(() -> ClientOptions.parse(new String[] {"--socket"}, null)).hasMessage("error: --socket needs a PATH");
    }

    @Test
    void whoamiGivesTheSessionShellAndInputRates() throws Exception {
        SessionInfo info = SessionInfo.parse("""
                user alice (uid 1001, gid 1001, pid 4242), session 17
                profile oncall, role read-write
                tenant payments (granted: payments, search)
                shell scheme (allowed: kv, scheme)
                limits: 20 commands/s, 64 KiB/s in, 500 ms CPU/step, 48 MiB memory, 1024 KiB out/step, idle 900 s, session 28800 s, 4 sessions at once""");
        assertThat(info).isEqualTo(new SessionInfo(17, "alice", "read-write", "payments", "scheme", 20, 64 * 1024));
        SessionInfo unlimited = SessionInfo.parse("user root (uid 0, gid 0, pid 1), session 3\nshell kv (allowed: kv)\n"
                + "limits: 1000 ms CPU/step, 64 MiB memory, 1024 KiB out/step, idle 1800 s, session 43200 s, 8 sessions at once");
        assertThat(unlimited.commandsPerSecond()).isInfinite();
        assertThat(BatchRun.linesAhead(unlimited, "kv")).isEqualTo(BatchRun.MAX_LINES_AHEAD);
        assertThat(BatchRun.linesAhead(unlimited, "scheme")).as("a shell switched to, or Scheme: one line at a time").isEqualTo(1);
        assertThat(BatchRun.linesAhead(new SessionInfo(1, "u", null, null, "kv", 5, Double.POSITIVE_INFINITY), "kv")).isEqualTo(10);
        assertThat(BatchRun.bytesAhead(info)).isEqualTo(BatchRun.MAX_BYTES_AHEAD);
        assertThatThrownBy(() -> SessionInfo.parse("hello")).isInstanceOf(ClientFailure.class);
    }

    @Test
    void scriptInputIsCutAtNewlinesOnlyAndKeepsALastLineWithoutOne() {
        ScriptLines in = ScriptLines.of(new ByteArrayInputStream("a\r\n\nb c\nlast".getBytes(StandardCharsets.UTF_8)));
        List<String> lines = new ArrayList<>();
        for (String l; (l = in.next()) != null; ) {
            lines.add(l);
        }
        assertThat(lines).containsExactly("a\r", "", "b c", "last");
        ScriptLines args = ScriptLines.of(List.of("(define (f x)\n  x)", "", "sum\n"));
        List<String> fromArgs = new ArrayList<>();
        for (String l; (l = args.next()) != null; ) {
            fromArgs.add(l);
        }
        assertThat(fromArgs).containsExactly("(define (f x)", "  x)", "", "sum");
    }
}
