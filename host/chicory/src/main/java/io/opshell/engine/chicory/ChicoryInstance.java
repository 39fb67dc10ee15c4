package io.opshell.engine.chicory;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.opshell.abi.LinearMemory;
import io.opshell.host.wasm.GuestAbort;
import io.opshell.host.wasm.GuestTrap;
import io.opshell.host.wasm.HostImport;
import io.opshell.host.wasm.WasmFunction;
import io.opshell.host.wasm.WasmInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One Chicory instance: its exports called under the instance's {@link CallDeadline}, its host
 * imports adapted from opshell's {@link HostImport}s. Used by one thread at a time; it may move
 * between threads (also virtual ones) between calls. Nothing native to release: closing only
 * refuses further calls, the garbage collector takes the rest.
 */
final class ChicoryInstance implements WasmInstance {
    private static final long[] NO_RESULTS = new long[0];

    private final Instance instance;
    private final CallDeadline deadline;
    private volatile boolean closed;

    ChicoryInstance(Instance instance, CallDeadline deadline) {
        this.instance = instance;
        this.deadline = deadline;
    }

    /** Chicory host functions for {@code imports}; each runs inside the call's deadline protocol. */
    static ImportValues importValues(List<HostImport> imports, CallDeadline deadline) {
        List<ImportFunction> functions = new ArrayList<>(imports.size());
        for (HostImport imp : imports) {
            boolean returns = !imp.type().results().isEmpty();
            HostImport.Body body = imp.body();
            functions.add(new HostFunction(imp.module(), imp.name(), functionType(imp.type()), (inst, args) -> {
                deadline.enterHost();
                long result;
                try {
                    result = body.call(args);
                } catch (GuestAbort abort) {
                    deadline.leaveHostUnwinding();
                    throw abort;
                }
                deadline.leaveHost();
                return returns ? new long[] {result} : NO_RESULTS;
            }));
        }
        return ImportValues.builder().withFunctions(functions).build();
    }

    private static FunctionType functionType(io.opshell.host.wasm.FunctionType t) {
        return FunctionType.of(t.params().stream().map(ChicoryInstance::valType).toList(),
                t.results().stream().map(ChicoryInstance::valType).toList());
    }

    private static ValType valType(io.opshell.host.wasm.ValType t) {
        return switch (t) {
            case I32 -> ValType.I32;
            case I64 -> ValType.I64;
            case F32 -> ValType.F32;
            case F64 -> ValType.F64;
            default -> throw new IllegalArgumentException("host functions cannot take " + t);
        };
    }

    @Override
    public Optional<WasmFunction> function(String name, io.opshell.host.wasm.FunctionType type) {
        checkOpen();
        ExportFunction f;
        try {
            f = instance.export(name);
        } catch (RuntimeException e) {
            return Optional.empty(); // Chicory refuses an unknown export by throwing
        }
        if (f == null) {
            return Optional.empty();
        }
        int arity = type.params().size();
        return Optional.of((limit, args) -> call(f, arity, limit, args));
    }

    private long[] call(ExportFunction f, int arity, Duration limit, long[] args) throws GuestTrap {
        checkOpen();
        if (args.length != arity) {
            throw new IllegalArgumentException("export takes " + arity + " arguments, got " + args.length);
        }
        long[] results;
        deadline.begin(limit);
        try {
            results = f.apply(args);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // end() first: it clears the interrupt, and says whether the deadline caused this.
            throw Traps.of(e, deadline.end());
        }
        deadline.end(); // a call that returned as its deadline passed keeps its result: the guest finished
        return results == null ? NO_RESULTS : results;
    }

    @Override
    public Optional<LinearMemory> memory(String name) {
        checkOpen();
        try {
            // Every instance's memory is a FlatMemory: ChicoryModule builds them so.
            return Optional.ofNullable(instance.exports().memory(name)).map(m -> new ChicoryMemory((FlatMemory) m));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean enforcesMemoryLimit() {
        return true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("instance is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        deadline.forget();
    }
}
