package io.opshell.client;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who the session is, as the server's {@code \whoami} tells it: the session id (what Ctrl-C's
 * interrupt request names), the user, role, tenant and shell for the banner, and the input rate
 * limits, which size how far ahead a script may send ({@link BatchRun}). {@code \whoami} is text
 * for people; a field it lacks is left unknown (null, or no limit) rather than failing.
 */
record SessionInfo(long sessionId, String user, String role, String tenant, String shell, double commandsPerSecond,
        double bytesPerSecond) {
    private static final Pattern SESSION = Pattern.compile("(?m)^user (\\S+) .*, session (\\d+)$");
    private static final Pattern ROLE = Pattern.compile("(?m)^profile .*, role (\\S+)$");
    private static final Pattern TENANT = Pattern.compile("(?m)^tenant (\\S+)");
    private static final Pattern SHELL = Pattern.compile("(?m)^shell (\\S+)");
    private static final Pattern COMMANDS = Pattern.compile("(?m)^limits: .*?([0-9.]+) commands/s");
    private static final Pattern BYTES = Pattern.compile("(?m)^limits: .*?([0-9.]+) KiB/s in");

    static SessionInfo parse(String whoami) throws ClientFailure {
        Matcher session = SESSION.matcher(whoami);
        if (!session.find()) {
            throw new ClientFailure("the server's \\whoami names no session; is this an opshell server this client knows? ("
                    + firstLine(whoami) + ")");
        }
        return new SessionInfo(Long.parseLong(session.group(2)), session.group(1), group(ROLE, whoami), group(TENANT, whoami),
                group(SHELL, whoami), rate(COMMANDS, whoami, 1), rate(BYTES, whoami, 1024));
    }

    private static String group(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    private static double rate(Pattern p, String text, double unit) {
        String n = group(p, text);
        try {
            return n == null ? Double.POSITIVE_INFINITY : Double.parseDouble(n) * unit;
        } catch (NumberFormatException e) {
            return Double.POSITIVE_INFINITY;
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
