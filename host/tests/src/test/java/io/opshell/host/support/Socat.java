package io.opshell.host.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** socat, the client operators use, as a separate process: one piped session. */
public final class Socat {
    private static final long TIMEOUT_SECONDS = 60;
    private static final String KV_PROMPT = "kv> ";

    private Socat() {}

    /** Sends {@code input}, closes it, and returns everything the server said. */
    public static String session(Path socket, String input) throws Exception {
        Process p = new ProcessBuilder("socat", "-t", "30", "-", "UNIX-CONNECT:" + socket).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("socat did not finish; output so far: " + output);
        }
        if (p.exitValue() != 0) {
            throw new IOException("socat exited with " + p.exitValue() + ": " + output);
        }
        return output;
    }

    /**
     * The kv shell's answers to a piped session, one per input line, in order: what follows each
     * prompt (the banner and greeting before the first prompt are dropped).
     */
    public static List<String> kvAnswers(String output) {
        String[] parts = output.split(KV_PROMPT, -1);
        List<String> answers = new ArrayList<>();
        for (int i = 1; i < parts.length - 1; i++) {
            String a = parts[i];
            answers.add(a.endsWith("\n") ? a.substring(0, a.length() - 1) : a);
        }
        return answers;
    }
}
