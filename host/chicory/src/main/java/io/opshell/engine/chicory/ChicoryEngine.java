package io.opshell.engine.chicory;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.ChicoryException;
import io.opshell.host.wasm.DeadlineWatch;
import io.opshell.host.wasm.ShellLoadException;
import io.opshell.host.wasm.WasmEngine;

/**
 * Chicory behind opshell's engine seam: each module is translated to JVM bytecode once, at load
 * ({@link MachineFactoryCompiler}, shared across engines by {@link CompiledModules}; the interpreter
 * is never used: a function the compiler cannot translate refuses the module), and its instances are plain Java objects whose linear memory is a
 * heap array. Pure Java: no native library, no memory mappings, no signal handlers, so instances
 * are bounded by the heap alone and guest code may run on virtual threads.
 *
 * <p>How the seam's promises are kept: memory limits by the instance's own memory
 * ({@code memory.grow} past the limit answers -1, {@link ChicoryModule}); CPU deadlines by one
 * watchdog that interrupts the thread running an expired call, which the compiled code notices at
 * its next back-jump or call ({@link CallDeadline}); traps by mapping Chicory's exceptions to
 * opshell's kinds ({@link Traps}). Guest frames are Java frames, so the thread running guest code
 * needs a deep stack ({@link #GUEST_STACK_BYTES}) and the JIT must be allowed to compile the huge
 * methods some shells become ({@code -XX:-DontCompileHugeMethods}; README "JVM flags").
 */
public final class ChicoryEngine implements WasmEngine {
    /**
     * Stack for threads that run guest code. Measured with the scheme shell at its nesting caps
     * (reader, compiler, evaluator and printer, 255 levels of lists, vectors, quasiquote and calls;
     * {@code GuestStackTest}) in a fresh JVM, guest frames still interpreted (the deepest case):
     * 512 KiB overflows at 200 levels, 1 MiB holds. 4 MiB leaves a margin of 4x.
     */
    static final long GUEST_STACK_BYTES = 4L * 1024 * 1024;

    private final DeadlineWatch watchdog = new DeadlineWatch("opshell-chicory-deadlines");
    private volatile boolean closed;

    @Override
    public String name() {
        return "chicory";
    }

    @Override
    public ChicoryModule compile(String shellName, byte[] wasm) throws ShellLoadException {
        if (closed) {
            throw new IllegalStateException("engine is closed");
        }
        CompiledModules.Compiled compiled;
        try {
            compiled = CompiledModules.of(shellName, wasm);
        } catch (ChicoryException | IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new ShellLoadException("shell " + shellName + " is not a valid module: " + e.getMessage(), e);
        }
        return new ChicoryModule(compiled.module(), compiled.machines(), watchdog);
    }

    @Override
    public long guestThreadStackBytes() {
        return GUEST_STACK_BYTES;
    }

    @Override
    public boolean guestCodeMayRunOnVirtualThreads() {
        return true;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            watchdog.close();
        }
    }
}
