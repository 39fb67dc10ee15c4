package io.opshell.server;

import io.opshell.host.SetupException;
import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code --metrics-listen HOST:PORT}: a host name or address ({@code [::1]} for IPv6) and a port (0 picks a free one). */
record ListenAddress(String host, int port) {
    private static final Pattern FORM = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]]+):(\\d{1,5})");
    private static final int MAX_PORT = 65_535;

    static ListenAddress parse(String text) throws SetupException {
        Matcher m = FORM.matcher(text);
        if (!m.matches() || Integer.parseInt(m.group(2)) > MAX_PORT) {
            throw new SetupException("metrics-listen", text, "expected HOST:PORT, e.g. 127.0.0.1:9404 or [::1]:9404");
        }
        String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
        return new ListenAddress(host, Integer.parseInt(m.group(2)));
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
