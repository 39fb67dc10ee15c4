package io.opshell.store.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where a Redis store lives, parsed from its spec: {@code redis://[USER:PASSWORD@]HOST[:PORT][/DB][?prefix=P]}
 * over TCP, or {@code redis+unix:///PATH[?db=N&prefix=P]} over a Unix socket. {@code prefix}
 * (default {@value #DEFAULT_PREFIX}) starts every Redis key the store uses, so several
 * applications can share one Redis database. To accept a new option: parse it here.
 *
 * @param socket   the Unix socket, or empty for TCP
 * @param host     the TCP host (ignored with a socket)
 * @param port     the TCP port (ignored with a socket)
 * @param database the Redis logical database ({@code SELECT})
 * @param prefix   the start of every key
 */
public record RedisSpec(Optional<Path> socket, String host, int port, int database, String prefix,
        Optional<String> user, Optional<String> password) {
    static final String TCP = "redis://";
    static final String UNIX = "redis+unix://";
    static final String DEFAULT_PREFIX = "opshell:";
    static final int DEFAULT_PORT = 6379;
    private static final String FORMS = "redis://HOST:PORT[/DB] or redis+unix:///PATH[?db=N]";

    static boolean accepts(String spec) {
        return spec.startsWith(TCP) || spec.startsWith(UNIX);
    }

    /** @throws IllegalArgumentException saying what is wrong and what is expected */
    static RedisSpec parse(String spec) {
        URI uri;
        try {
            uri = new URI(spec);
        } catch (URISyntaxException e) {
            throw bad(spec, e.getReason());
        }
        Map<String, String> query = query(spec, uri.getRawQuery());
        String prefix = query.getOrDefault("prefix", DEFAULT_PREFIX);
        if (prefix.isEmpty() || prefix.contains("{") || prefix.contains("}")) {
            throw bad(spec, "prefix must be non-empty and without braces (Redis hash tags)");
        }
        Optional<String> user = Optional.empty(), password = Optional.empty();
        if (uri.getRawUserInfo() != null) {
            String info = uri.getUserInfo();
            int colon = info.indexOf(':');
            user = colon <= 0 ? Optional.empty() : Optional.of(info.substring(0, colon));
            password = Optional.of(colon < 0 ? info : info.substring(colon + 1));
        }
        if (spec.startsWith(UNIX)) {
            if (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/") || uri.getHost() != null) {
                throw bad(spec, "give the socket's absolute path, e.g. redis+unix:///run/redis/redis.sock");
            }
            for (String name : query.keySet()) {
                if (!name.equals("db") && !name.equals("prefix")) {
                    throw bad(spec, "unknown option '" + name + "' (known: db, prefix)");
                }
            }
            int db = number(spec, query.getOrDefault("db", "0"), "db");
            return new RedisSpec(Optional.of(Path.of(uri.getPath())), "", 0, db, prefix, user, password);
        }
        if (uri.getHost() == null) {
            throw bad(spec, "no host; e.g. redis://127.0.0.1:6379/0");
        }
        for (String name : query.keySet()) {
            if (!name.equals("prefix")) {
                throw bad(spec, "unknown option '" + name + "' (known: prefix; the database is the path, /DB)");
            }
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        int db = path.isEmpty() || path.equals("/") ? 0 : number(spec, path.substring(1), "database");
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        return new RedisSpec(Optional.empty(), uri.getHost(), port, db, prefix, user, password);
    }

    /** For messages and logs: where, without the password. */
    public String where() {
        return socket.map(p -> "redis+unix://" + p).orElse("redis://" + host + ":" + port) + (database == 0 ? "" : " db " + database);
    }

    private static Map<String, String> query(String spec, String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw bad(spec, "options are NAME=VALUE pairs joined by &");
            }
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static int number(String spec, String text, String what) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(spec, what + " '" + text + "' is not a number >= 0");
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad redis store '" + spec + "': " + why + "; use " + FORMS);
    }
}
