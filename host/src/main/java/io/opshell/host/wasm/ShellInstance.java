package io.opshell.host.wasm;

import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.Val;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.github.kawamuray.wasmtime.WasmtimeException;
import io.opshell.abi.Abi;
import io.opshell.abi.AbiException;
import io.opshell.abi.GuestMemory;
import io.opshell.host.StateAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One running shell: its own Store, imported functions, Instance and memory. Confined to the
 * thread that created it (a wasmtime Store is not thread-safe). Every guest call is bounded by
 * the epoch deadline and returns to Java, so JNI references held by upcalls die with each call.
 * After a {@link ShellFault} the instance must be closed.
 */
public final class ShellInstance implements AutoCloseable, GuestCall {
    private final WasmRuntime runtime;
    private final Store<Void> store;
    private final List<Func> imports = new ArrayList<>();
    private final GuestStdio stdio;
    private final StateAccess access;
    private final long deadlineTicks;
    private final Duration stepDeadline;
    private final long memoryLimitBytes;

    private Instance instance;
    private Memory memory;
    private GuestMemory guestMemory;
    private Func versionFunc;
    private Func initFunc;
    private Func stepFunc;
    private Integer exitCode;
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
    /** Why the host asks the running step to stop (ABI.md, "Interruption"); 0 when it does not. */
    private volatile int interruptReason;
    private volatile String interruptMessage = "";
    /** When the running call's soft deadline passes (System.nanoTime). */
    private volatile long softDeadlineNanos;

    private ShellInstance(WasmRuntime runtime, GuestStdio stdio, StateAccess access, Duration stepDeadline, long memoryLimitBytes) {
        this.runtime = runtime;
        this.store = new Store<>(null, runtime.engine());
        runtime.instanceOpened();
        this.stdio = stdio;
        this.access = access;
        this.stepDeadline = stepDeadline;
        this.deadlineTicks = WasmRuntime.deadlineTicks(stepDeadline);
        this.memoryLimitBytes = memoryLimitBytes;
    }

    /**
     * Instantiates {@code module} for one session.
     *
     * @param stepDeadline     CPU time each guest call may take
     * @param memoryLimitBytes the guest memory size that, once exceeded after a call, stops the shell
     */
    public static ShellInstance start(WasmRuntime runtime, ShellModule module, GuestStdio stdio, StateAccess access,
            Duration stepDeadline, long memoryLimitBytes) throws ShellFault {
        ShellInstance shell = new ShellInstance(runtime, stdio, access, stepDeadline, memoryLimitBytes);
        try {
            shell.instantiate(module);
            return shell;
        } catch (ShellFault | RuntimeException e) {
            shell.close();
            throw e;
        }
    }

    private void instantiate(ShellModule module) throws ShellFault {
        io.github.kawamuray.wasmtime.Module compiled = module.moduleFor(runtime);
        List<Extern> externs = new ArrayList<>();
        for (ImportTable.Definition d : module.imports()) {
            GuestCall.Handler handler = d.handler();
            Func f = new Func(store, d.type(), (caller, params, results) -> handler.handle(this, params, results));
            imports.add(f);
            externs.add(Extern.fromFunc(f));
        }
        // Modules with a start function are refused at load, so instantiation runs no guest code.
        store.setEpochDeadline(deadlineTicks);
        instance = guarded(() -> new Instance(store, compiled, externs));
        memory = instance.getMemory(store, Abi.EXPORT_MEMORY).orElseThrow(() -> new ShellFault("no memory export"));
        guestMemory = new GuestMemory(() -> memory.buffer(store));
        versionFunc = export(Abi.EXPORT_VERSION);
        initFunc = export(Abi.EXPORT_INIT);
        stepFunc = export(Abi.EXPORT_STEP);
        Optional<Func> reactorInit = instance.getFunc(store, Abi.EXPORT_WASI_INITIALIZE);
        if (reactorInit.isPresent()) {
            // The WASI reactor convention: run the module's constructors once, before anything else.
            try {
                call(reactorInit.get());
            } finally {
                reactorInit.get().dispose();
            }
        }
        Optional<Func> buffers = instance.getFunc(store, Abi.EXPORT_BUFFERS);
        if (buffers.isPresent()) {
            try {
                setUpBuffers(callI32(buffers.get()));
            } finally {
                buffers.get().dispose();
            }
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
            guestMemory.writeI32(address + Abi.Descriptor.MEMORY_LIMIT_KIB, (int) Math.min(memoryLimitBytes >> 10, Integer.MAX_VALUE));
            guestMemory.writeI32(address + Abi.Descriptor.STEP_MS, (int) Math.min(stepDeadline.toMillis(), Integer.MAX_VALUE));
        } catch (AbiException e) {
            throw new ShellFault("shell declared shared buffers outside its memory: " + e.getMessage());
        }
    }

    private int field(int address, int offset) {
        return guestMemory.readI32(address + offset);
    }

    private Func export(String name) throws ShellFault {
        return instance.getFunc(store, name).orElseThrow(() -> new ShellFault("no export " + name));
    }

    int abiVersion() throws ShellFault {
        return callI32(versionFunc);
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
     * buffer-full of input.
     *
     * @return {@link Abi#STEP_CONTINUE} or {@link Abi#STEP_CLOSE}
     */
    public int step() throws ShellFault {
        interruptReason = 0;
        if (descriptor < 0) {
            int ready = stdio.inputReady();
            return callI32(stepFunc, Val.fromI32(ready), Val.fromI32(stdio.endOfInput() ? 1 : 0));
        }
        while (true) {
            int n = Math.min(stdio.inputReady(), inCap);
            try {
                stdio.readInto(guestMemory, inPtr, n);
            } catch (AbiException e) {
                throw new ShellFault("shell input buffer is no longer inside its memory");
            }
            boolean last = stdio.inputReady() == 0;
            int control;
            try {
                control = callI32(stepFunc, Val.fromI32(n), Val.fromI32(last && stdio.endOfInput() ? 1 : 0));
            } finally {
                collectOutput();
            }
            if (control != Abi.STEP_CONTINUE || last) {
                return control;
            }
        }
    }

    /**
     * Moves what the shell put in its output buffer to the operator's output. Runs after every
     * call, also after a trap, so answers made before a fault are not lost with the instance.
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
            guestMemory.writeI32(descriptor + Abi.Descriptor.MARKS_LEN, 0);
        } catch (AbiException e) {
            throw new ShellFault("shell output buffer is no longer inside its memory");
        }
    }

    private int callI32(Func f, Val... args) throws ShellFault {
        Val[] results = call(f, args);
        if (results.length != 1 || results[0].getType() != Val.Type.I32) {
            throw new ShellFault("shell export returned " + results.length + " values, expected one i32");
        }
        return results[0].i32();
    }

    private Val[] call(Func f, Val... args) throws ShellFault {
        if (closed) {
            throw new ShellFault("shell instance is closed");
        }
        store.setEpochDeadline(deadlineTicks);
        softDeadlineNanos = System.nanoTime() + softDeadline(stepDeadline).toNanos();
        runtime.callStarted(this);
        Val[] results;
        try {
            results = guarded(() -> f.call(store, args));
        } finally {
            runtime.callEnded(this);
        }
        long size = memoryBytes();
        if (size > memoryLimitBytes) {
            throw new ShellFault("shell grew its memory to " + size / 1024 + " KiB, above the limit of "
                    + memoryLimitBytes / 1024 + " KiB");
        }
        return results;
    }

    private interface GuestAction<T> {
        T run();
    }

    private <T> T guarded(GuestAction<T> action) throws ShellFault {
        try {
            return action.run();
        } catch (WasmFunctionError.TrapError e) {
            throw new ShellFault(describe(e.trap()));
        } catch (WasmFunctionError | WasmtimeException e) {
            if (exitCode != null) {
                throw new ShellFault("shell exited with status " + exitCode);
            }
            String cause = rootCause(e.getMessage());
            throw new ShellFault(cause.contains("interrupt") ? describe(Trap.INTERRUPT) : "shell trapped: " + cause);
        }
    }

    private String describe(Trap trap) {
        return switch (trap) {
            case INTERRUPT -> "shell exceeded the CPU limit of " + stepDeadline.toMillis() + " ms per step";
            case STACK_OVERFLOW -> "shell overflowed its stack";
            case MEMORY_OUT_OF_BOUNDS -> "shell accessed memory out of bounds";
            case UNREACHABLE_CODE_REACHED -> "shell aborted (a panic or unreachable code)";
            case INTEGER_DIVISION_BY_ZERO -> "shell divided by zero";
            default -> "shell trapped: " + trap.name().toLowerCase().replace('_', ' ');
        };
    }

    /** wasmtime's errors put a backtrace first and the cause after "Caused by:"; keep the cause. */
    private static String rootCause(String message) {
        if (message == null) {
            return "unknown error";
        }
        String[] lines = message.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().equals("Caused by:")) {
                for (int j = i + 1; j < lines.length; j++) {
                    if (!lines[j].isBlank()) {
                        return lines[j].trim().replaceFirst("^\\d+: ", "");
                    }
                }
            }
        }
        return lines[0].trim();
    }

    /** Current size of the guest's linear memory. */
    public long memoryBytes() {
        return (long) memory.size(store) * WasmBinary.PAGE_BYTES;
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
        int reason = interruptReason;
        if (reason != 0) {
            errorMessage(interruptMessage);
        }
        return reason;
    }

    /**
     * The soft deadline of a call with CPU limit {@code limit}: three quarters of it, so a shell
     * that polls {@link #interruptRequested()} has time to stop before the hard deadline traps.
     */
    static Duration softDeadline(Duration limit) {
        return limit.multipliedBy(3).dividedBy(4);
    }

    /** Called by the runtime's ticker: asks the running call to stop once its soft deadline has passed. */
    void checkSoftDeadline(long nowNanos) {
        if (interruptReason == 0 && nowNanos - softDeadlineNanos >= 0) {
            requestInterrupt(INTERRUPT_DEADLINE, "interrupted (CPU limit of " + stepDeadline.toMillis() + " ms)");
        }
    }

    /** Interrupt reasons (ABI.md, "Interruption"). */
    public static final int INTERRUPT_DEADLINE = 1;
    public static final int INTERRUPT_OPERATOR = 2;

    /**
     * Asks the running (or next) step to stop at its next poll; {@code reason} is the message the
     * shell reports. Safe from any thread. Cleared at the start of every step.
     */
    public void requestInterrupt(int code, String reason) {
        interruptMessage = reason;
        interruptReason = code;
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
        for (Func f : new Func[] {versionFunc, initFunc, stepFunc}) {
            if (f != null) {
                f.dispose();
            }
        }
        if (memory != null) {
            memory.dispose();
        }
        if (instance != null) {
            instance.dispose();
        }
        imports.forEach(Func::dispose);
        store.dispose();
        runtime.instanceClosed();
    }
}
