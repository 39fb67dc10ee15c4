package io.opshell.server;

import sun.misc.Signal;

/**
 * SIGINT and SIGTERM stop the server cleanly and let the process exit 0 (a JVM shutdown hook
 * alone would still exit with 128+signal); SIGHUP reloads the policy.
 */
final class Signals {
    private Signals() {}

    /** SIGHUP: reload, the usual signal for it. */
    static void onReload(Runnable reload) {
        Signal.handle(new Signal("HUP"), signal -> Thread.ofPlatform().name("opshell-reload").start(reload));
    }

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
