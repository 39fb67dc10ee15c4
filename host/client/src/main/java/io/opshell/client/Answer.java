package io.opshell.client;

import java.util.Map;

/**
 * One thing the session said: the answer to an input line ({@link #input} set) or a host message
 * tied to no line ({@link #input} null: the session ending, output cut, a refusal). {@link #raw} is
 * the line as the server sent it, what {@code --json} prints; the client makes answers of its own
 * (a line it would not send, a line the server never answered) in the same shape.
 */
record Answer(String input, boolean ok, boolean more, String output, String raw) {

    /** A line of the server's json mode. */
    static Answer parse(String line) throws JsonLine.MalformedException {
        Map<String, Object> m = JsonLine.parseObject(line);
        if (!(m.get("ok") instanceof Boolean ok) || !(m.get("output") instanceof String output)) {
            throw new JsonLine.MalformedException("an answer needs \"ok\" and \"output\"");
        }
        return new Answer(m.get("input") instanceof String s ? s : null, ok, Boolean.TRUE.equals(m.get("more")), output, line);
    }

    /** A line from the server that is not JSON: what it says before any mode applies (a refusal by the listener). */
    static Answer plainLine(String line) {
        return local(null, !line.startsWith("error:"), line);
    }

    /** An answer the client gives itself, in the server's shape. */
    static Answer local(String input, boolean ok, String output) {
        StringBuilder b = new StringBuilder(output.length() + 48).append('{');
        if (input != null) {
            b.append("\"input\":");
            JsonLine.quote(input, b);
            b.append(',');
        }
        b.append("\"ok\":").append(ok).append(",\"output\":");
        JsonLine.quote(output, b);
        return new Answer(input, ok, false, output, b.append('}').toString());
    }

    boolean isHostMessage() {
        return input == null;
    }
}
