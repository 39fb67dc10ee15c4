package io.opshell.client;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion. The host knows what only it can know, so host commands and their arguments
 * (shells, tenants, modes) and keys are asked of it with {@code \complete LINE} over the session;
 * the shells' own words are known here: kv's commands, and Scheme's special forms, state bindings
 * and common procedures. Keys and the application's field names complete after kv's {@code get},
 * {@code set}, {@code del}, {@code keys}, action names after {@code call}, and the same inside
 * Scheme's {@code (kv-get "…}, {@code (call "…} and the like. To complete something new: a case in
 * {@link #complete}.
 */
final class ConsoleCompleter implements Completer {
    /** How long Tab waits for the host's candidates; a slower answer offers nothing rather than freezing the line. */
    static final long QUERY_TIMEOUT_MILLIS = 2_000;
    static final List<String> KV_COMMANDS = List.of("add", "sum", "set", "get", "del", "keys", "fields", "call", "whoami", "help",
            "quit");
    /** kv commands whose argument the host completes: keys, and field or action names. */
    static final Set<String> KV_NAME_COMMANDS = Set.of("get", "set", "del", "keys", "fields", "call");
    /** Scheme procedures whose string argument the host completes, and the kv command that names the same things. */
    static final Map<String, String> SCHEME_NAME_PROCEDURES = Map.of("kv-get", "get", "kv-set!", "set", "kv-delete!", "del",
            "kv-keys", "keys", "fields", "fields", "call", "call");
    static final List<String> SCHEME_WORDS = List.of(
            // special forms
            "define", "lambda", "if", "cond", "case", "and", "or", "when", "unless", "let", "let*", "letrec", "letrec*",
            "do", "begin", "set!", "quote", "quasiquote", "guard", "else",
            // the host's state
            "kv-get", "kv-set!", "kv-delete!", "kv-keys", "counter", "counter-add!", "whoami", "fields", "call",
            // what a fix-up session reaches for most
            "map", "for-each", "filter", "fold-left", "fold-right", "reduce", "apply", "sort", "length", "list", "car",
            "cdr", "cons", "append", "reverse", "assoc", "member", "string-append", "string-split", "string-join",
            "string->number", "number->string", "string-prefix?", "string-contains", "display", "newline", "write",
            "format", "error", "make-hash-table", "hash-table-set!", "hash-table-ref/default", "hash-table-keys",
            "help", "exit");

    private final OpshellSession session;
    private final Supplier<String> shell;

    ConsoleCompleter(OpshellSession session, Supplier<String> shell) {
        this.session = session;
        this.shell = shell;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        String before = line.line().substring(0, line.cursor());
        String word = line.word().substring(0, line.wordCursor());
        if (OpshellSession.isHostCommand(before)) {
            fromHost(before, "", "", candidates);
            return;
        }
        List<String> words = line.words();
        int index = line.wordIndex();
        switch (String.valueOf(shell.get())) {
            case "kv" -> {
                if (index == 0) {
                    KV_COMMANDS.forEach(c -> candidates.add(new Candidate(c)));
                } else if (index == 1 && KV_NAME_COMMANDS.contains(words.get(0))) {
                    fromHost(words.get(0) + " " + word, "", "", candidates);
                }
            }
            case "scheme" -> {
                if (word.startsWith("\"")) {
                    String command = index > 0 ? SCHEME_NAME_PROCEDURES.get(words.get(index - 1)) : null;
                    if (command != null) {
                        fromHost(command + " " + word.substring(1), "\"", "\"", candidates);
                    }
                } else {
                    SCHEME_WORDS.forEach(w -> candidates.add(new Candidate(w)));
                }
            }
            default -> { }
        }
    }

    /** Asks the host to complete {@code request}'s last word; each candidate gets {@code open} and {@code close} around it. */
    private void fromHost(String request, String open, String close, List<Candidate> candidates) {
        if (session.hasEnded() || request.endsWith(" ")) {
            // An empty last word: the server trims the request and would complete the word before
            // it instead (\shell Tab would insert "\shell" again), so there is nothing to ask yet.
            return;
        }
        try {
            Answer a = session.query("\\complete " + request).get(QUERY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            if (a.ok() && !a.output().isEmpty()) {
                for (String c : a.output().split("\n")) {
                    // displ is what the menu shows: escaped, since keys are other operators' data.
                    candidates.add(new Candidate(open + c + close, TerminalText.escape(c), null, null, null, null, true));
                }
            }
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            // nothing to offer in time
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
