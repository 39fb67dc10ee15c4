package io.opshell.server;

import sun.misc.Signal;

/**
 * The server's signals. SIGINT and SIGTERM stop it cleanly and let the process exit 0 (a JVM
 * shutdown hook alone would still exit with 128+signal). SIGHUP reloads and reopens files and
 * never stops the server: it must always have a handler, because the JVM's default for SIGHUP is
 * to exit (status 129, leaving the socket file behind), which is what a server started without a
 * policy used to do. Each signal's work runs on a thread of its own, never in the signal handler.
 */
final class Signals {
    private Signals() {}

    /** SIGHUP runs {@code reload}; reloads do not overlap (a second SIGHUP waits for the first). */
    static void onHangup(Runnable reload) {
        Object lock = new Object();
        Signal.handle(new Signal("HUP"), signal -> Thread.ofPlatform().name("opshell-reload").start(() -> {
            synchronized (lock) {
                reload.run();
            }
        }));
    }

    /** SIGINT and SIGTERM run {@code stop}, once. */
    static void onTermination(Runnable stop) {
        Runnable once = new Runnable() {
            private boolean ran;

            @Override
            public synchronized void run() {
                if (!ran) {
                    ran = true;
                    stop.run();
                }
            }
        };
        for (String name : new String[] {"INT", "TERM"}) {
            Signal.handle(new Signal(name), signal -> Thread.ofPlatform().name("opshell-stop").start(once));
        }
    }
}
