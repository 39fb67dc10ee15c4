package io.opshell.store.redis;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import redis.clients.jedis.JedisSocketFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** Connects Jedis to Redis's Unix socket (junixsocket), with the same timeouts as TCP. */
final class UnixSocketFactory implements JedisSocketFactory {
    private final Path path;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;

    UnixSocketFactory(Path path, int connectTimeoutMillis, int readTimeoutMillis) {
        this.path = path;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    @Override
    public Socket createSocket() throws JedisConnectionException {
        AFUNIXSocket socket = null;
        try {
            socket = AFUNIXSocket.newInstance();
            socket.connect(AFUNIXSocketAddress.of(path), connectTimeoutMillis);
            socket.setSoTimeout(readTimeoutMillis);
            return socket;
        } catch (IOException e) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new JedisConnectionException("cannot connect to " + path + ": " + e.getMessage(), e);
        }
    }
}
