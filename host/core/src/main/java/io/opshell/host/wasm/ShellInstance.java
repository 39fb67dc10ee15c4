package io.opshell.host.wasm;

import io.opshell.abi.Abi;
import io.opshell.abi.AbiException;
import io.opshell.abi.GuestMemory;
import io.opshell.abi.LinearMemory;
import io.opshell.host.StateAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running shell on whichever engine: the instance, its imports bound to this session, the
 * shared buffers (ABI.md, "Shared buffers") and the step protocol. Used by one thread at a time.
 * Every guest call is bounded by the CPU deadline (the engine's hard stop) and, three quarters of
 * the way, a soft interrupt the shell may poll. After a {@link ShellFault} the instance must be
 * closed. Where to change things: how a step feeds input and collects output is {@link #step};
 * what a fault is called is {@link #describe}.
 */
public final class ShellInstance implements AutoCloseable, GuestCall {
    private static final Logger log = LoggerFactory.getLogger(ShellInstance.class);

    /**
     * How much of a pooled instance's memory, from its top down, is written ahead of demand
     * ({@link #touchTop}). Rust shells link stack first, then their statics, then the heap up to
     * the end of the initial memory: the top pages are what a session's first calls write. On
     * kv, the greeting's five page faults (about 80 µs on wasmtime here) leave the session's
     * path; about half of those 16 pages are resident after a session's first command anyway, the
     * rest cost an idle wasmtime session 40–55 KiB of RSS.
     */
    static final int TOUCHED_TOP_BYTES = 64 * 1024;
    private static final int PAGE_BYTES = 4096;

    /** Interrupt reasons (ABI.md, "Interruption"). */
    public static final int INTERRUPT_DEADLINE = 1;
    public static final int INTERRUPT_OPERATOR = 2;

    private final WasmRuntime runtime;
    /** The session's, from {@link #bind}; a pooled instance has placeholders until then. */
    private GuestStdio stdio;
    private StateAccess access;
    private Duration stepDeadline;
    /** {@link #softDeadline} of {@link #stepDeadline} in nanoseconds, computed once: Duration's division is BigDecimal arithmetic. */
    private long softDeadlineBudgetNanos;
    private long memoryLimitBytes;
    /** The limit the engine was given at instantiation; the session's may be lower. */
    private long instanceMemoryLimitBytes;
    /** Counted in {@link WasmRuntime#liveInstances()}: bound to a session (not waiting in a pool). */
    private boolean counted;

    private WasmInstance instance;
    private GuestMemory guestMemory;
    private WasmFunction versionFunc;
    private WasmFunction initFunc;
    private WasmFunction stepFunc;
    private boolean enforcedByEngine;
    private LinearMemory linearMemory;
    private Integer exitCode;
    /** A Throwable a host function let escape (an Error such as OutOfMemoryError): the instance is done. */
    private Throwable hostFailure;
    private boolean closed;
    /** The shared buffers' descriptor address, or -1 when the shell uses WASI stdio only. */
    private int descriptor = -1;
    private int inPtr;
    private int inCap;
    private int outPtr;
    private int outCap;
    private int marksPtr;
    private int marksCap;
    private int errPtr;
    private int errCap;
    /** Why, since when, the host asks the running step to stop; null when it does not. */
    private final AtomicReference<Interrupt> interrupt = new AtomicReference<>();
    /** When the running call's soft deadline passes (System.nanoTime). */
    private volatile long softDeadlineNanos;
    private final DeadlineWatch.Call softDeadlineCall = new SoftDeadline();

    private ShellInstance(WasmRuntime runtime, GuestStdio stdio, StateAccess access, Duration stepDeadline, long memoryLimitBytes) {
        this.runtime = runtime;
        this.stdio = stdio;
        this.access = access;
        limitSteps(stepDeadline);
        this.memoryLimitBytes = memoryLimitBytes;
        this.instanceMemoryLimitBytes = memoryLimitBytes;
    }

    private void limitSteps(Duration deadline) {
        stepDeadline = deadline;
        softDeadlineBudgetNanos = softDeadline(deadline).toNanos();
    }

    /**
     * A ready instance of {@code module} for one session: from the module's pool when it has one
     * ready, else instantiated now. Same as {@link ShellModule#newInstance}.
     *
     * @param stepDeadline     CPU time each guest call may take
     * @param memoryLimitBytes the guest memory size the shell may not exceed
     */
    public static ShellInstance start(ShellModule module, GuestStdio stdio, StateAccess access, Duration stepDeadline,
            long memoryLimitBytes) throws ShellFault {
        return module.newInstance(stdio, access, stepDeadline, memoryLimitBytes);
    }

    /**
     * Instantiates {@code module} now, for a session (counted as live at once). The engine gets the
     * shell's declared maximum, as a pooled instance does, so that a session's limit below it is
     * enforced the same way whichever instance it gets: checked after every call.
     */
    static ShellInstance create(ShellModule module, GuestStdio stdio, StateAccess access, Duration stepDeadline,
            long memoryLimitBytes) throws ShellFault {
        ShellInstance shell = new ShellInstance(module.runtime(), stdio, access, stepDeadline, memoryLimitBytes);
        shell.instanceMemoryLimitBytes = Math.max(memoryLimitBytes, module.declaredMaxMemoryBytes());
        shell.counted = true;
        module.runtime().instanceOpened();
        try {
            shell.instantiate(module);
            shell.writeLimits();
            return shell;
        } catch (ShellFault | RuntimeException e) {
            shell.close();
            throw e;
        }
    }

    /**
     * Instantiates {@code module} ahead of demand, for a pool: {@code _initialize} and
     * {@code opshell_buffers} run now, under {@code setupDeadline}, with no input, output or state
     * (output a shell writes before {@code opshell_init} is dropped). {@link #bind} gives it to a session.
     */
    static ShellInstance prepare(ShellModule module, Duration setupDeadline, long memoryLimitBytes) throws ShellFault {
        ShellInstance shell = new ShellInstance(module.runtime(), new GuestStdio(0, 0), StateAccess.DENY_ALL, setupDeadline,
                memoryLimitBytes);
        try {
            shell.instantiate(module);
            shell.touchTop();
            return shell;
        } catch (ShellFault | RuntimeException e) {
            shell.close();
            throw e;
        }
    }

    /**
     * Writes each page of the top {@link #TOUCHED_TOP_BYTES} of memory back as it is, so that the
     * kernel maps them now, on the refill thread, not during the session's first call (on an
     * engine with mapped memory a first write is a page fault; on Chicory's array it costs nothing).
     */
    private void touchTop() {
        long size = linearMemory.size();
        byte[] one = new byte[1];
        for (long addr = Math.max(0, size - TOUCHED_TOP_BYTES); addr < size; addr += PAGE_BYTES) {
            linearMemory.read((int) addr, one, 0, 1);
            linearMemory.write((int) addr, one, 0, 1);
        }
    }

    /**
     * Gives a pooled instance to a session, with the session's limits: the step deadline applies
     * from the next call; a memory limit below the one the engine enforces is checked after every
     * call; the descriptor's limit fields are written. False (the instance closed) when the
     * instance already uses more memory than the session may.
     */
    boolean bind(GuestStdio stdio, StateAccess access, Duration stepDeadline, long memoryLimitBytes) {
        if (closed || linearMemory.size() > memoryLimitBytes) {
            close();
            return false;
        }
        this.stdio = stdio;
        this.access = access;
        limitSteps(stepDeadline);
        this.memoryLimitBytes = memoryLimitBytes;
        enforcedByEngine = instance.enforcesMemoryLimit() && memoryLimitBytes >= instanceMemoryLimitBytes;
        counted = true;
        runtime.instanceOpened();
        try {
            writeLimits();
        } catch (AbiException e) {
            close();
            return false;
        }
        return true;
    }

    private void instantiate(ShellModule module) throws ShellFault {
        List<HostImport> imports = new ArrayList<>();
        for (ImportTable.Definition d : module.imports()) {
            GuestCall.Handler handler = d.handler();
            imports.add(new HostImport(d.module(), d.name(), d.type(), args -> serve(handler, args)));
        }
        try {
            instance = module.compiled().instantiate(imports, instanceMemoryLimitBytes);
        } catch (GuestTrap e) {
            throw new ShellFault("shell could not be instantiated: " + e.getMessage());
        }
        linearMemory = instance.memory(Abi.EXPORT_MEMORY).orElseThrow(() -> new ShellFault("no memory export"));
        guestMemory = new GuestMemory(linearMemory);
        enforcedByEngine = instance.enforcesMemoryLimit() && memoryLimitBytes >= instanceMemoryLimitBytes;
        versionFunc = export(Abi.EXPORT_VERSION);
        initFunc = export(Abi.EXPORT_INIT);
        stepFunc = export(Abi.EXPORT_STEP);
        Optional<WasmFunction> reactorInit = optionalExport(Abi.EXPORT_WASI_INITIALIZE);
        if (reactorInit.isPresent()) {
            // The WASI reactor convention: run the module's constructors once, before anything else.
            call(reactorInit.get());
        }
        Optional<WasmFunction> buffers = optionalExport(Abi.EXPORT_BUFFERS);
        if (buffers.isPresent()) {
            setUpBuffers((int) call(buffers.get())[0]);
        }
    }

    /**
     * Runs a host function for the guest. Nothing but {@link GuestAbort} may reach the engine: an
     * Error from host code (OutOfMemoryError included) ends this instance, never the process.
     */
    private long serve(GuestCall.Handler handler, long[] args) {
        try {
            return handler.handle(this, args);
        } catch (GuestAbort abort) {
            throw abort;
        } catch (Throwable t) {
            hostFailure = t;
            try {
                log.error("a host function failed while serving a shell; ending that shell", t);
            } catch (Throwable ignored) {
                // logging may fail too when the heap is exhausted; the fault is still reported in-band
            }
            throw GuestAbort.INSTANCE;
        }
    }

    /** Reads and checks the shared buffers' descriptor (ABI.md, "Shared buffers"). */
    private void setUpBuffers(int address) throws ShellFault {
        try {
            guestMemory.checkRange(address, Abi.Descriptor.BYTES, "buffer descriptor");
            int in = field(address, Abi.Descriptor.IN_PTR), inSize = field(address, Abi.Descriptor.IN_CAP);
            int outAt = field(address, Abi.Descriptor.OUT_PTR), outSize = field(address, Abi.Descriptor.OUT_CAP);
            int marksAt = field(address, Abi.Descriptor.MARKS_PTR), marks = field(address, Abi.Descriptor.MARKS_CAP);
            int errAt = field(address, Abi.Descriptor.ERR_PTR), errSize = field(address, Abi.Descriptor.ERR_CAP);
            if (inSize < 1 || inSize > Abi.MAX_SHARED_BUFFER || outSize < 1 || outSize > Abi.MAX_SHARED_BUFFER) {
                throw new ShellFault("shell declared shared buffers of " + inSize + " and " + outSize
                        + " bytes; each must be 1 to " + Abi.MAX_SHARED_BUFFER);
            }
            guestMemory.checkRange(in, inSize, "input buffer");
            guestMemory.checkRange(outAt, outSize, "output buffer");
            if (marks < 1 || marks > Abi.MAX_MARKS || errSize < 0 || errSize > Abi.MAX_SHARED_BUFFER) {
                throw new ShellFault("shell declared room for " + marks + " answer marks and " + errSize
                        + " bytes of error message; marks must be 1 to " + Abi.MAX_MARKS);
            }
            guestMemory.checkRange(marksAt, marks * Abi.MARK_BYTES, "mark buffer");
            guestMemory.checkRange(errAt, errSize, "error buffer");
            descriptor = address;
            inPtr = in;
            inCap = inSize;
            outPtr = outAt;
            outCap = outSize;
            marksPtr = marksAt;
            marksCap = marks;
            errPtr = errAt;
            errCap = errSize;
        } catch (AbiException e) {
            throw new ShellFault("shell declared shared buffers outside its memory: " + e.getMessage());
        }
    }

    /** The session's limits into the descriptor (ABI.md, "Shared buffers"), for the shell to read from {@code opshell_init} on. */
    private void writeLimits() {
        if (descriptor < 0) {
            return;
        }
        guestMemory.writeI32(descriptor + Abi.Descriptor.MEMORY_LIMIT_KIB, (int) Math.min(memoryLimitBytes >> 10, Integer.MAX_VALUE));
        guestMemory.writeI32(descriptor + Abi.Descriptor.STEP_MS, (int) Math.min(stepDeadline.toMillis(), Integer.MAX_VALUE));
    }

    private int field(int address, int offset) {
        return guestMemory.readI32(address + offset);
    }

    private WasmFunction export(String name) throws ShellFault {
        return instance.function(name, ShellModule.REQUIRED.get(name)).orElseThrow(() -> new ShellFault("no export " + name));
    }

    private Optional<WasmFunction> optionalExport(String name) {
        return instance.function(name, ShellModule.OPTIONAL.get(name));
    }

    int abiVersion() throws ShellFault {
        return (int) call(versionFunc)[0];
    }

    /** Lets the shell greet the operator and print its first prompt. */
    public void init() throws ShellFault {
        try {
            call(initFunc);
        } finally {
            collectOutput();
        }
    }

    /**
     * Runs the shell over the input received so far: one call, or with shared buffers one call per
     * buffer-full of input, each ending at a line end where one fits and holding no more lines than
     * the shell has room to mark. Stops early when the shell leaves a line of a call unmarked (it
     * stopped after an interruption): the input not given stays unread, for the caller to report.
     *
     * <p>An interrupt the operator asked for at or after {@code inputSinceNanos} (when the input
     * this step runs arrived, System.nanoTime) applies to this step: the shell sees it at its first
     * poll. Any other interrupt asked for before the step was meant for an earlier one and is
     * dropped. So Ctrl-C reaches a line that is still waiting for its turn (held by the input rate
     * limit), and never the next line typed after it.
     *
     * @return {@link Abi#STEP_CONTINUE} or {@link Abi#STEP_CLOSE}
     */
    public int step(long inputSinceNanos) throws ShellFault {
        Interrupt pending = interrupt.get();
        if (pending != null && !pending.appliesToInputSince(inputSinceNanos)) {
            interrupt.compareAndSet(pending, null); // one asked for meanwhile stays
        }
        if (descriptor < 0) {
            int ready = stdio.inputReady();
            return (int) call(stepFunc, ready, stdio.endOfInput() ? 1 : 0)[0];
        }
        while (true) {
            int n = stdio.bytesForCall(inCap, Math.max(1, marksCap - 1));
            int lines = stdio.linesIn(n);
            try {
                stdio.readInto(guestMemory, inPtr, n);
            } catch (AbiException e) {
                throw new ShellFault("shell input buffer is no longer inside its memory");
            }
            boolean last = stdio.inputReady() == 0;
            int marksBefore = stdio.marks().size();
            int control;
            try {
                control = (int) call(stepFunc, n, last && stdio.endOfInput() ? 1 : 0)[0];
            } finally {
                collectOutput();
            }
            boolean stoppedEarly = stdio.marks().size() - marksBefore < lines;
            if (control != Abi.STEP_CONTINUE || last || stoppedEarly) {
                return control;
            }
        }
    }

    /**
     * Moves what the shell put in its output buffer to the operator's output, and its answer marks
     * to {@link GuestStdio#marks()}. Runs after every call, also after a trap, so answers made
     * before a fault are not lost with the instance.
     */
    private void collectOutput() throws ShellFault {
        if (descriptor < 0 || closed) {
            return;
        }
        try {
            int len = guestMemory.readI32(descriptor + Abi.Descriptor.OUT_LEN);
            if (len < 0 || len > outCap) {
                throw new ShellFault("shell reported " + Integer.toUnsignedString(len) + " bytes of output in a buffer of " + outCap);
            }
            if (len > 0) {
                stdio.write(guestMemory, outPtr, len);
                guestMemory.writeI32(descriptor + Abi.Descriptor.OUT_LEN, 0);
            }
            int marks = guestMemory.readI32(descriptor + Abi.Descriptor.MARKS_LEN);
            if (marks < 0 || marks > marksCap) {
                throw new ShellFault("shell reported " + Integer.toUnsignedString(marks) + " answer marks in room for " + marksCap);
            }
            for (int i = 0; i < marks; i++) {
                int at = marksPtr + i * Abi.MARK_BYTES;
                stdio.mark(guestMemory.readI32(at), guestMemory.readI32(at + 4), guestMemory.readI32(at + 8));
            }
            if (marks > 0) {
                guestMemory.writeI32(descriptor + Abi.Descriptor.MARKS_LEN, 0);
            }
        } catch (AbiException e) {
            throw new ShellFault("shell output buffer is no longer inside its memory");
        }
    }

    /** True when the shell marks its answers (it uses the shared buffers). */
    public boolean marksAnswers() {
        return descriptor >= 0;
    }

    private long[] call(WasmFunction f, long... args) throws ShellFault {
        if (closed) {
            throw new ShellFault("shell instance is closed");
        }
        softDeadlineNanos = System.nanoTime() + softDeadlineBudgetNanos;
        stdio.beginCall();
        runtime.softDeadlines().add(softDeadlineCall, softDeadlineBudgetNanos);
        long[] results;
        try {
            results = f.call(stepDeadline, args);
        } catch (GuestTrap trap) {
            throw new ShellFault(describe(trap));
        } finally {
            runtime.softDeadlines().remove(softDeadlineCall);
        }
        if (!enforcedByEngine) {
            long size = linearMemory.size();
            if (size > memoryLimitBytes) {
                throw new ShellFault("shell grew its memory to " + size / 1024 + " KiB, above the limit of "
                        + memoryLimitBytes / 1024 + " KiB");
            }
        }
        return results;
    }

    /** What the operator is told about a trap. */
    private String describe(GuestTrap trap) {
        if (exitCode != null) {
            return "shell exited with status " + exitCode;
        }
        if (hostFailure != null) {
            return "the host failed while serving the shell (" + hostFailure.getClass().getSimpleName()
                    + "; logged on the server)";
        }
        return switch (trap.kind()) {
            case DEADLINE -> "shell exceeded the CPU limit of " + stepDeadline.toMillis() + " ms per step";
            case STACK_OVERFLOW -> "shell overflowed its stack";
            case MEMORY_OUT_OF_BOUNDS -> "shell accessed memory out of bounds";
            case UNREACHABLE -> "shell aborted (a panic or unreachable code)";
            case DIVIDE_BY_ZERO -> "shell divided by zero";
            case MEMORY_LIMIT -> "shell tried to grow its memory past the limit of " + memoryLimitBytes / 1024 + " KiB";
            case HOST_ABORT, OTHER -> "shell trapped: " + trap.getMessage();
        };
    }

    /**
     * The soft deadline of a call with CPU limit {@code limit}: three quarters of it, so a shell
     * that polls {@link #interruptRequested()} has time to stop before the hard deadline traps.
     */
    static Duration softDeadline(Duration limit) {
        return limit.multipliedBy(3).dividedBy(4);
    }

    /** The running call as the runtime's soft-deadline watch sees it: asked to stop once its soft deadline has passed. */
    private final class SoftDeadline extends DeadlineWatch.Call {
        @Override
        public long deadlineNanos() {
            return softDeadlineNanos;
        }

        @Override
        public void expireIfDue(long nowNanos) {
            if (interrupt.get() == null && nowNanos - softDeadlineNanos >= 0) {
                // Only if none is pending: the operator's, asked for meanwhile, keeps its message.
                interrupt.compareAndSet(null, new Interrupt(INTERRUPT_DEADLINE,
                        "interrupted (CPU limit of " + stepDeadline.toMillis() + " ms)", nowNanos));
            }
        }
    }

    /**
     * Asks the running step to stop at its next poll; {@code reason} is the message the shell
     * reports. Safe from any thread. An operator's request also reaches the steps of input that had
     * arrived when it was made ({@link #step}).
     */
    public void requestInterrupt(int code, String reason) {
        interrupt.set(new Interrupt(code, reason, System.nanoTime()));
    }

    /**
     * True when the operator asked for an interrupt at or after {@code inputSinceNanos}: input that
     * had arrived by then (System.nanoTime) and has not run yet is not to run.
     */
    public boolean interruptedSince(long inputSinceNanos) {
        Interrupt pending = interrupt.get();
        return pending != null && pending.appliesToInputSince(inputSinceNanos);
    }

    /** An interrupt asked for: its reason (ABI.md, "Interruption"), the shell's message, and when (System.nanoTime). */
    private record Interrupt(int code, String message, long askedNanos) {
        boolean appliesToInputSince(long inputSinceNanos) {
            return code == INTERRUPT_OPERATOR && askedNanos - inputSinceNanos >= 0;
        }
    }

    /** Current size of the guest's linear memory. */
    public long memoryBytes() {
        return linearMemory.size();
    }

    @Override
    public GuestMemory memory() {
        return guestMemory;
    }

    @Override
    public GuestStdio stdio() {
        return stdio;
    }

    @Override
    public StateAccess access() {
        return access;
    }

    @Override
    public void errorMessage(String message) {
        if (descriptor < 0) {
            return;
        }
        byte[] text = Utf8.prefix(message, errCap);
        guestMemory.writeBytes(errPtr, text, 0, text.length);
        guestMemory.writeI32(descriptor + Abi.Descriptor.ERR_LEN, text.length);
    }

    @Override
    public int interruptRequested() {
        Interrupt pending = interrupt.get();
        if (pending == null) {
            return 0;
        }
        errorMessage(pending.message());
        return pending.code();
    }

    @Override
    public void exitRequested(int code) {
        exitCode = code;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runtime.softDeadlines().forget(softDeadlineCall);
        if (instance != null) {
            instance.close();
        }
        if (counted) {
            runtime.instanceClosed();
        }
    }
}
