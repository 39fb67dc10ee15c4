package io.opshell.client;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jline.reader.CompletingParsedLine;
import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;

/**
 * How the console reads what the operator types (JLine's {@link Parser}): in the Scheme shell an
 * entry is complete when its parentheses balance and no string is open, so Enter on
 * {@code (define (f x)} asks for more with the {@code ...>} prompt and the whole expression is
 * edited, recalled and sent as one entry; kv lines and host commands are always complete. Also
 * cuts the line into words for completion (in Scheme at parentheses and quotes too).
 */
final class EntryParser implements Parser {
    private final Supplier<String> shell;

    /** {@code shell}: the name of the shell the session is in now. */
    EntryParser(Supplier<String> shell) {
        this.shell = shell;
    }

    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) throws EOFError {
        boolean scheme = "scheme".equals(shell.get()) && !OpshellSession.isHostCommand(line);
        if (scheme && context == ParseContext.ACCEPT_LINE && incompleteScheme(line)) {
            throw new EOFError(-1, -1, "incomplete expression", "...");
        }
        return words(line, cursor, scheme);
    }

    /** Whether {@code text} opens more parentheses than it closes, or leaves a string open. */
    static boolean incompleteScheme(String text) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == ';') {
                int nl = text.indexOf('\n', i);
                i = nl < 0 ? text.length() : nl;
            } else if (c == '#' && i + 1 < text.length() && text.charAt(i + 1) == '\\') {
                i += 2; // a character literal: #\( is no parenthesis
            } else if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            }
        }
        return inString || depth > 0;
    }

    private static boolean delimiter(char c, boolean scheme) {
        return Character.isWhitespace(c) || scheme && (c == '(' || c == ')' || c == '[' || c == ']' || c == '\'' || c == '`');
    }

    static ParsedLine words(String line, int cursor, boolean scheme) {
        List<String> words = new ArrayList<>();
        int wordIndex = -1;
        int wordCursor = 0;
        int start = -1;
        for (int i = 0; i <= line.length(); i++) {
            boolean end = i == line.length() || delimiter(line.charAt(i), scheme);
            if (!end && start < 0) {
                start = i;
            }
            if (end && start >= 0) {
                if (cursor >= start && cursor <= i) {
                    wordIndex = words.size();
                    wordCursor = cursor - start;
                }
                words.add(line.substring(start, i));
                start = -1;
            }
        }
        if (wordIndex < 0) { // the cursor is between words: completing a new, empty one
            int before = 0;
            for (int i = 0; i < line.length() && i < cursor; i++) {
                if (!delimiter(line.charAt(i), scheme) && (i + 1 == line.length() || delimiter(line.charAt(i + 1), scheme))) {
                    before++;
                }
            }
            wordIndex = before;
            words.add(before, "");
            wordCursor = 0;
        }
        return new Words(words.get(wordIndex), wordCursor, wordIndex, List.copyOf(words), line, cursor);
    }

    /**
     * A line cut into words, with the one under the cursor. Words are taken as typed (no quoting
     * or escapes to undo), so a candidate goes into the line as it is.
     */
    record Words(String word, int wordCursor, int wordIndex, List<String> words, String line, int cursor)
            implements CompletingParsedLine {
        @Override
        public CharSequence escape(CharSequence candidate, boolean complete) {
            return candidate;
        }

        @Override
        public int rawWordCursor() {
            return wordCursor;
        }

        @Override
        public int rawWordLength() {
            return word.length();
        }
    }
}
