package io.opshell.host.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The physical floor: a Unix-socket server that greets with one line and echoes every chunk it
 * reads, one platform thread per connection, over junixsocket like opshell. Run as its own process
 * by the harness: {@code EchoServer --socket PATH}. Exits when its standard input ends (the
 * harness is gone) or on SIGTERM.
 */
public final class EchoServer {
    private EchoServer() {}

    public static void main(String[] args) throws IOException {
        Path socket = socketArg(args);
        AFUNIXServerSocket server = bind(socket);
        System.out.println("echo listening on " + socket);
        System.out.flush();
        byte[] greeting = (Protocol.Echo.GREETING + "\n").getBytes(StandardCharsets.UTF_8);
        while (true) {
            AFUNIXSocket s = server.accept();
            Thread.ofPlatform().name("echo-session").start(() -> {
                try (s) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    out.write(greeting);
                    byte[] buf = new byte[64 * 1024];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        out.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    // the client went away
                }
            });
        }
    }

    /** {@code --socket PATH}, the one argument the bench servers take. */
    static Path socketArg(String[] args) {
        if (args.length != 2 || !args[0].equals("--socket")) {
            System.err.println("usage: --socket PATH");
            System.exit(2);
        }
        return Path.of(args[1]).toAbsolutePath();
    }

    /** Binds {@code socket} and starts a daemon that exits the process when standard input ends. */
    static AFUNIXServerSocket bind(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        server.bind(AFUNIXSocketAddress.of(socket), 128);
        Thread.ofPlatform().daemon().name("stdin-watch").start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // ignore input; end of input means the harness is gone
                }
            } catch (IOException e) {
                // same
            }
            System.exit(0);
        });
        return server;
    }
}
