package io.opshell.host.bench;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which CPUs the client (this JVM) and the servers may run on, set with {@code taskset -a -p} on
 * every thread of each process, the same for every target. Why: on a virtual machine, waking a
 * thread on another, idle vCPU costs tens of microseconds, so an unpinned ping-pong lands at
 * ~6 µs or ~35 µs per round trip depending on where the scheduler happened to put the two threads
 * -- different targets could land in different modes and the ratios would mean nothing.
 */
enum Placement {
    /** Client and server on CPU 0: the software path alone (the headline latencies). */
    SAME_CPU("client and server on CPU 0"),
    /** Client on CPU 0, server on CPU 1: every round trip includes a cross-CPU wake-up. */
    OTHER_CPU("client on CPU 0, server on CPU 1"),
    /** Everyone on every CPU (throughput with many clients needs them all). */
    ALL_CPUS("client and server free on all CPUs");

    final String description;

    Placement(String description) {
        this.description = description;
    }

    /** Whether placements can be applied here: taskset exists and there are at least two CPUs. */
    static boolean supported() {
        return Runtime.getRuntime().availableProcessors() >= 2 && run(List.of("taskset", "-p", Long.toString(ProcessHandle.current().pid())));
    }

    /** Applies this placement to the harness and every running target; throws if taskset fails. */
    void apply(List<Target> targets) throws IOException {
        String all = "0-" + (Runtime.getRuntime().availableProcessors() - 1);
        String client = this == ALL_CPUS ? all : "0";
        String server = switch (this) {
            case SAME_CPU -> "0";
            case OTHER_CPU -> "1";
            case ALL_CPUS -> all;
        };
        pin(ProcessHandle.current().pid(), client);
        for (Target t : targets) {
            if (t.alive()) {
                pin(t.pid(), server);
            }
        }
    }

    private static void pin(long pid, String cpus) throws IOException {
        if (!run(List.of("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)))) {
            throw new IOException("taskset -a -p -c " + cpus + " " + pid + " failed");
        }
    }

    private static boolean run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
