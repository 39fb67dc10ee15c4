package io.opshell.host.bench;

import io.opshell.store.InMemoryStateStore;
import io.opshell.store.StateStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * opshell minus the sandbox: the kv shell's {@code set}/{@code get} in plain Java, with what an
 * opshell session does around them (peer credentials, user name from /etc/passwd, banner,
 * greeting and prompt, one platform thread per connection, a log line per session open and close,
 * one read per chunk, one write per chunk's answers, the project's {@link InMemoryStateStore}).
 * Run as its own process by the harness: {@code NativeKvServer --socket PATH}.
 */
public final class NativeKvServer {
    private static final Logger log = LoggerFactory.getLogger(NativeKvServer.class);
    private static final String TENANT = "default";
    private static final String PROMPT = "kv> ";

    private NativeKvServer() {}

    public static void main(String[] args) throws IOException {
        Path socket = EchoServer.socketArg(args);
        AFUNIXServerSocket server = EchoServer.bind(socket);
        StateStore store = new InMemoryStateStore();
        AtomicLong ids = new AtomicLong(1);
        System.out.println("native-kv listening on " + socket);
        System.out.flush();
        while (true) {
            AFUNIXSocket s = server.accept();
            long id = ids.getAndIncrement();
            Thread.ofPlatform().name("native-kv-session-" + id).start(() -> serve(id, s, store));
        }
    }

    private static void serve(long id, AFUNIXSocket socket, StateStore store) {
        String reason = "client closed the connection";
        try (socket) {
            AFUNIXSocketCredentials creds = socket.getPeerCredentials();
            long uid = creds.getUid();
            String user = userName(uid);
            log.info("session {} opened by {} (uid {}, pid {})", id, user, uid, creds.getPid());
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            out.write(("opshell: connected as " + user + " (uid " + uid + "), tenant " + TENANT
                    + ", shell kv; \\help for host commands\n").getBytes(StandardCharsets.UTF_8));
            out.write(("kv shell; type help for commands, quit to leave\n" + PROMPT).getBytes(StandardCharsets.UTF_8));
            byte[] chunk = new byte[64 * 1024];
            ByteArrayOutputStream partial = new ByteArrayOutputStream();
            StringBuilder answer = new StringBuilder();
            for (int n; (n = in.read(chunk)) >= 0; ) {
                int start = 0;
                boolean quit = false;
                for (int i = 0; i < n && !quit; i++) {
                    if (chunk[i] == '\n') {
                        partial.write(chunk, start, i - start);
                        start = i + 1;
                        String line = partial.toString(StandardCharsets.UTF_8);
                        partial.reset();
                        quit = run(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line, store, answer);
                        if (!quit) {
                            answer.append(PROMPT);
                        }
                    }
                }
                if (!quit) {
                    partial.write(chunk, start, n - start);
                }
                out.write(answer.toString().getBytes(StandardCharsets.UTF_8));
                answer.setLength(0);
                if (quit) {
                    reason = "operator quit";
                    return;
                }
            }
        } catch (IOException e) {
            reason = "connection lost: " + e.getMessage();
        } finally {
            log.info("session {} closed: {}", id, reason);
        }
    }

    /** Runs one command line; returns true when the session should end. */
    private static boolean run(String line, StateStore store, StringBuilder answer) {
        String s = line.strip();
        if (s.isEmpty()) {
            return false;
        }
        int sp = indexOfSpace(s);
        String command = sp < 0 ? s : s.substring(0, sp);
        String args = sp < 0 ? "" : s.substring(sp).stripLeading();
        switch (command) {
            case "set" -> {
                int ksp = indexOfSpace(args);
                String key = ksp < 0 ? args : args.substring(0, ksp);
                String value = ksp < 0 ? "" : args.substring(ksp).stripLeading();
                if (key.isEmpty() || value.isEmpty()) {
                    answer.append("error: usage: set KEY VALUE\n");
                } else {
                    store.set(TENANT, key, value);
                    answer.append("ok\n");
                }
            }
            case "get" -> {
                if (args.isEmpty() || indexOfSpace(args) >= 0) {
                    answer.append("error: usage: get KEY\n");
                } else {
                    Optional<String> v = store.get(TENANT, args);
                    answer.append(v.isPresent() ? v.get() : "error: no such key: " + args).append('\n');
                }
            }
            case "quit", "exit" -> {
                answer.append("bye\n");
                return true;
            }
            default -> answer.append("error: unknown command '").append(command).append("'; this server knows set, get, quit\n");
        }
        return false;
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** The login name of {@code uid} from /etc/passwd, read per session as opshell does. */
    private static String userName(long uid) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/etc/passwd"));
            for (String line : lines) {
                String[] f = line.split(":", -1);
                if (f.length > 2 && f[2].equals(Long.toString(uid))) {
                    return f[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // a name is a courtesy
        }
        return "uid" + uid;
    }
}
