package io.opshell.host.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * The machine's CPUs, as the kernel lists them ({@code 0-1}). Not the JVM's count: that
     * follows this process's own affinity, so after the first placement it would say 1 and
     * "all CPUs" would stay CPU 0.
     */
    private static final Path ONLINE_CPUS = Path.of("/sys/devices/system/cpu/online");

    final String description;

    Placement(String description) {
        this.description = description;
    }

    /** Whether placements can be applied here: taskset exists and there are at least two CPUs. */
    static boolean supported() {
        try {
            return count(onlineCpus()) >= 2 && run(List.of("taskset", "-p", Long.toString(ProcessHandle.current().pid())));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Applies this placement to the harness and every running target; throws if taskset fails or
     * the harness does not end up on the CPUs it asked for.
     */
    void apply(List<Target> targets) throws IOException {
        String all = onlineCpus();
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
        // Counted from the kernel's list again, not from `all`: the check must not trust what it checks.
        int expected = this == ALL_CPUS ? count(onlineCpus()) : 1, actual = Runtime.getRuntime().availableProcessors();
        if (actual != expected) {
            throw new IOException("placement \"" + description + "\" not applied: the harness runs on " + actual
                    + " CPUs, expected " + expected);
        }
    }

    private static String onlineCpus() throws IOException {
        return Files.readString(ONLINE_CPUS).trim();
    }

    /** How many CPUs a kernel CPU list names ({@code 0-3,6} is 5). */
    private static int count(String list) {
        int n = 0;
        for (String part : list.split(",")) {
            String[] range = part.trim().split("-");
            n += range.length == 1 ? 1 : Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        }
        return n;
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
