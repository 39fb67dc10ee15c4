package io.opshell.host.session;

import java.util.Locale;

/** How a session shows answers: {@code \mode interactive|plain|json} (README.md, "Output modes"). */
enum OutputMode {
    /** Banner, prompts and answers as the shell prints them, control characters escaped. */
    INTERACTIVE,
    /** Nothing but each input line's answer lines, exact bytes, errors as {@code error:} lines. */
    PLAIN,
    /** One JSON object per input line: {@code {"input":…,"ok":…,"output":…}}. */
    JSON;

    static OutputMode parse(String word) {
        try {
            return valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
