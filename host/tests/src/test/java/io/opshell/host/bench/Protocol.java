package io.opshell.host.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The only thing that differs between targets: how a command is written, how the end of a reply
 * is recognised, and what a correct reply is. Timing, warm-up, iteration counts, concurrency and
 * percentiles live in {@link Harness} and {@link Stats} and are the same for every target.
 */
interface Protocol {
    enum Op {
        GET, SET;

        String lower() {
            return name().toLowerCase();
        }
    }

    /** Consumes (or asks for) whatever tells the client that the server takes commands. */
    void awaitReady(Conn c) throws IOException;

    /** The bytes of one command. */
    byte[] encode(Op op, String key, String value);

    /** Reads one complete reply and returns its payload. */
    String readReply(Conn c) throws IOException;

    /** The payload a correct server answers to {@code op} (for GET: the value stored under the key). */
    String expectedReply(Op op, String key, String value);

    /** What "ready" means for this protocol, for the report. */
    String readyMeans();

    /**
     * The kv shell's text protocol (opshell and the native-Java kv server): a command per line;
     * every reply, and the greeting, ends with the prompt.
     */
    final class KvText implements Protocol {
        /**
         * What an opshell client sends first: naming the mode at once spares the 200 ms the host
         * waits for a first line before it decides on a banner (the opshell client sends its mode first too).
         */
        static final String OPSHELL_HELLO = "\\mode interactive\n";

        private final byte[] prompt;
        private final byte[] hello;

        /** @param hello sent on connect before anything is read; empty for a server that waits for nothing */
        KvText(String prompt, String hello) {
            this.prompt = prompt.getBytes(StandardCharsets.UTF_8);
            this.hello = hello.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void awaitReady(Conn c) throws IOException {
            if (hello.length > 0) {
                c.write(hello);
            }
            String greeting = c.readUntil(prompt);
            if (!greeting.contains("kv shell")) {
                throw new IOException("unexpected greeting: " + Conn.printable(greeting.getBytes(StandardCharsets.UTF_8)));
            }
        }

        @Override
        public byte[] encode(Op op, String key, String value) {
            String line = op == Op.SET ? "set " + key + " " + value + "\n" : "get " + key + "\n";
            return line.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String readReply(Conn c) throws IOException {
            String reply = c.readUntil(prompt);
            return reply.endsWith("\n") ? reply.substring(0, reply.length() - 1) : reply;
        }

        @Override
        public String expectedReply(Op op, String key, String value) {
            return op == Op.SET ? "ok" : value;
        }

        @Override
        public String readyMeans() {
            return "first prompt '" + new String(prompt, StandardCharsets.UTF_8) + "' received (after banner and greeting)";
        }
    }

    /** Redis inline commands over RESP; one reply per command (simple string, bulk string, error). */
    final class Resp implements Protocol {
        private static final byte[] CRLF = {'\r', '\n'};

        @Override
        public void awaitReady(Conn c) throws IOException {
            // RESP has no greeting: one PING round trip is the first moment the client knows.
            c.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = readReply(c);
            if (!reply.equals("PONG")) {
                throw new IOException("PING answered " + reply);
            }
        }

        @Override
        public byte[] encode(Op op, String key, String value) {
            String line = op == Op.SET ? "SET " + key + " " + value + "\r\n" : "GET " + key + "\r\n";
            return line.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String readReply(Conn c) throws IOException {
            String line = c.readUntil(CRLF);
            if (line.isEmpty()) {
                throw new IOException("empty RESP reply line");
            }
            return switch (line.charAt(0)) {
                case '+', ':' -> line.substring(1);
                case '-' -> "(error) " + line.substring(1);
                case '$' -> {
                    int n = Integer.parseInt(line.substring(1));
                    if (n < 0) {
                        yield "(nil)";
                    }
                    String body = c.readExactly(n);
                    if (!c.readExactly(2).equals("\r\n")) {
                        throw new IOException("bulk reply not terminated by CRLF");
                    }
                    yield body;
                }
                default -> throw new IOException("unexpected RESP reply " + Conn.printable(line.getBytes(StandardCharsets.UTF_8)));
            };
        }

        @Override
        public String expectedReply(Op op, String key, String value) {
            return op == Op.SET ? "OK" : value;
        }

        @Override
        public String readyMeans() {
            return "PING answered +PONG (RESP sends no greeting)";
        }
    }

    /**
     * The raw floor: the echo server greets with one line, then sends back every byte it gets. The
     * commands are the kv text lines, so the bytes on the wire match opshell's.
     */
    final class Echo implements Protocol {
        static final String GREETING = "echo ready";
        private static final byte[] NL = {'\n'};

        @Override
        public void awaitReady(Conn c) throws IOException {
            String line = c.readUntil(NL);
            if (!line.equals(GREETING)) {
                throw new IOException("unexpected greeting " + line);
            }
        }

        @Override
        public byte[] encode(Op op, String key, String value) {
            String line = op == Op.SET ? "set " + key + " " + value + "\n" : "get " + key + "\n";
            return line.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String readReply(Conn c) throws IOException {
            return c.readUntil(NL);
        }

        @Override
        public String expectedReply(Op op, String key, String value) {
            return op == Op.SET ? "set " + key + " " + value : "get " + key;
        }

        @Override
        public String readyMeans() {
            return "greeting line received (accept + thread start + one write)";
        }
    }
}
