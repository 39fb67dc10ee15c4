package io.opshell.engine.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.opshell.host.wasm.DeadlineWatch;
import io.opshell.host.wasm.GuestTrap;
import io.opshell.host.wasm.HostImport;
import java.util.List;
import java.util.function.Function;

/**
 * A module Chicory has compiled to JVM classes, shared by all its instances. An instance's memory
 * limit is the smaller of the module's declared maximum and the session's limit, and its
 * {@link FlatMemory} answers {@code memory.grow} past it with -1, as the spec says a full memory
 * does.
 */
final class ChicoryModule implements io.opshell.host.wasm.WasmModule {
    private static final int PAGE_BYTES = 65_536;

    private final WasmModule module;
    private final Function<Instance, Machine> machines;
    private final DeadlineWatch watchdog;
    private final MemoryLimits declared;
    private volatile boolean closed;

    ChicoryModule(WasmModule module, Function<Instance, Machine> machines, DeadlineWatch watchdog) {
        this.module = module;
        this.machines = machines;
        this.watchdog = watchdog;
        // ShellModule has checked that there is exactly one memory, defined here, with a maximum.
        this.declared = module.memorySection().orElseThrow().getMemory(0).limits();
    }

    @Override
    public ChicoryInstance instantiate(List<HostImport> imports, long memoryLimitBytes) throws GuestTrap {
        if (closed) {
            throw new IllegalStateException("module is closed");
        }
        int limitPages = (int) Math.min(declared.maximumPages(), Math.max(0, memoryLimitBytes / PAGE_BYTES));
        if (limitPages < declared.initialPages()) {
            throw new GuestTrap(GuestTrap.Kind.MEMORY_LIMIT, "the shell needs " + declared.initialPages() * (PAGE_BYTES / 1024)
                    + " KiB of memory at start, above the limit of " + memoryLimitBytes / 1024 + " KiB");
        }
        CallDeadline deadline = new CallDeadline(watchdog);
        try {
            Instance instance = Instance.builder(module)
                    .withImportValues(ChicoryInstance.importValues(imports, deadline))
                    .withMachineFactory(machines)
                    .withMemoryLimits(new MemoryLimits(declared.initialPages(), limitPages))
                    .withMemoryFactory(FlatMemory::new)
                    .withStart(false) // no guest code outside a bounded call (modules with a start function are refused at load anyway)
                    .build();
            return new ChicoryInstance(instance, deadline);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw Traps.of(e, false);
        }
    }

    @Override
    public void close() {
        closed = true; // the compiled classes go with the last instance, by garbage collection
    }
}
