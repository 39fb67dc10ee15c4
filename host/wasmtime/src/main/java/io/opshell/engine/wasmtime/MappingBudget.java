package io.opshell.engine.wasmtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * How many wasmtime instances this process can still hold: the kernel caps a process's memory
 * mappings ({@code vm.max_map_count}, 65,530 by default), and wasmtime-java needs many per
 * instance — when an mmap fails inside wasmtime (a sigaltstack for a new thread, a trampoline),
 * it panics and the JVM aborts. Measured on wasmtime-java 0.19.0 (wasmtime 7.0.1), x86_64, with
 * 500 idle kv sessions: 12 mappings each, {@value #MAPPINGS_PER_THREAD} of them the platform thread
 * that runs its guest code (its stack, guard, and wasmtime's signal stack) and 7 its instance (the
 * shell's linear memory and memory image, the {@link ImportGate}'s argument memory, the one host
 * function's trampoline: the shell's imports pass through the gate, so the count no longer grows
 * with them; kv's was 33 before the gate). {@value #MAPPINGS_PER_INSTANCE} are counted per
 * instance, one more than measured, for margin: counting one too few, CapacityTest's JVM aborted.
 * Where to change it: remeasure with a new binding and update the constants.
 */
final class MappingBudget {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MappingBudget.class);
    static final int MAPPINGS_PER_INSTANCE = 8;
    static final int MAPPINGS_PER_THREAD = 5;
    /**
     * Mappings kept free for everything else the JVM maps as it runs (JIT code, heap growth, GC
     * threads, sockets' native buffers, files): a session is refused before this reserve is touched.
     */
    static final int RESERVE = 4_096;
    static final Path MAX_MAP_COUNT = Path.of("/proc/sys/vm/max_map_count");
    static final Path OWN_MAPS = Path.of("/proc/self/maps");

    private MappingBudget() {}

    /** Mappings one session costs: its instance (any shell: imports pass through the gate) and its thread. */
    static int perSession() {
        return MAPPINGS_PER_INSTANCE + MAPPINGS_PER_THREAD;
    }

    /** Sessions of {@code perSession} mappings that fit now, or {@link Integer#MAX_VALUE} where the counts cannot be read. */
    static int sessionsThatFit(int perSession) {
        try {
            long max;
            // Read as a stream: Files.readString trusts the size procfs reports (0) and can stop short.
            try (var in = Files.newBufferedReader(MAX_MAP_COUNT)) {
                max = Long.parseLong(in.readLine().trim());
            }
            long used;
            try (Stream<String> lines = Files.lines(OWN_MAPS)) {
                used = lines.count();
            }
            int fit = (int) Math.max(0, Math.min(Integer.MAX_VALUE, (max - used - RESERVE) / perSession));
            log.debug("memory mappings: {} of {} in use, {} reserved, {} per session: {} sessions fit", used, max, RESERVE,
                    perSession, fit);
            return fit;
        } catch (IOException | RuntimeException e) {
            return Integer.MAX_VALUE; // not Linux: nothing known to budget against
        }
    }
}
