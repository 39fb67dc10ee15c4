package io.opshell.engine.wasmtime;

import io.github.kawamuray.wasmtime.Engine;
import io.github.kawamuray.wasmtime.Extern;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.Instance;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Trap;
import io.github.kawamuray.wasmtime.Val;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import io.github.kawamuray.wasmtime.WasmtimeException;
import io.opshell.abi.LinearMemory;
import io.opshell.host.wasm.FunctionType;
import io.opshell.host.wasm.GuestTrap;
import io.opshell.host.wasm.HostImport;
import io.opshell.host.wasm.ValType;
import io.opshell.host.wasm.WasmFunction;
import io.opshell.host.wasm.WasmInstance;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One wasmtime Store with the shell's Instance, linked through an instance of its
 * {@link ImportGate} to one host Func. Not thread-safe (a Store is not); it may
 * be used from different threads one after another. Disposes every native handle it made.
 */
final class WasmtimeInstance implements WasmInstance {
    private final Store<Void> store;
    private final EpochTicker ticker;
    private final List<Func> funcs = new ArrayList<>();
    private final Map<String, WasmFunction> exports = new HashMap<>();
    private final List<Memory> memories = new ArrayList<>();
    private Instance gateInstance;
    /** The gate's argument memory ({@link ImportGate#ARGS_MEMORY}), set once the gate is instantiated. */
    private ByteBuffer gateArgs;
    private Instance instance;
    private boolean closed;

    private WasmtimeInstance(Engine engine, EpochTicker ticker) {
        this.store = new Store<>(null, engine);
        this.ticker = ticker;
    }

    static WasmtimeInstance create(Engine engine, EpochTicker ticker, WasmtimeModule module, List<HostImport> imports)
            throws GuestTrap {
        WasmtimeInstance w = new WasmtimeInstance(engine, ticker);
        try {
            w.instantiate(module, imports);
            return w;
        } catch (GuestTrap | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** One host Func (the gate's dispatch), an instance of the gate, then the shell linked to the gate's exports. */
    private void instantiate(WasmtimeModule module, List<HostImport> imports) throws GuestTrap {
        Map<String, HostImport> byName = new HashMap<>();
        imports.forEach(i -> byName.put(WasmtimeModule.importKey(i.module(), i.name()), i));
        List<String> keys = module.importKeys();
        HostImport[] byPosition = new HostImport[keys.size()];
        for (int i = 0; i < byPosition.length; i++) {
            byPosition[i] = byName.get(keys.get(i));
            if (byPosition[i] == null) {
                throw new GuestTrap(GuestTrap.Kind.OTHER, "no host function for import " + keys.get(i));
            }
        }
        Func dispatch = new Func(store, ImportGate.dispatchType(), (caller, params, results) -> dispatch(byPosition, params, results));
        funcs.add(dispatch);
        gateInstance = guarded(() -> new Instance(store, module.gate(), List.of(Extern.fromFunc(dispatch))));
        Memory argsMemory = gateInstance.getMemory(store, ImportGate.ARGS_MEMORY)
                .orElseThrow(() -> new IllegalStateException("the import gate lacks its argument memory"));
        memories.add(argsMemory);
        // The gate's memory never grows, so its buffer stays valid for the instance's life.
        gateArgs = argsMemory.buffer(store).order(ByteOrder.LITTLE_ENDIAN);
        List<Extern> externs = new ArrayList<>(byPosition.length);
        for (int i = 0; i < byPosition.length; i++) {
            Func f = gateInstance.getFunc(store, ImportGate.exportName(i))
                    .orElseThrow(() -> new IllegalStateException("the import gate lacks an export"));
            funcs.add(f);
            externs.add(Extern.fromFunc(f));
        }
        instance = guarded(() -> new Instance(store, module.module(), externs));
    }

    /** The gate's one host function: {@code (position) -> i64}, the arguments in the gate's memory. */
    private void dispatch(HostImport[] byPosition, Val[] params, Val[] results) {
        HostImport host = byPosition[params[0].i32()];
        long[] args = new long[host.type().params().size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = gateArgs.getLong(i * ImportGate.ARG_BYTES);
        }
        results[0] = Val.fromI64(host.body().call(args)); // throws nothing but GuestAbort (HostImport's contract)
    }

    private static Val.Type valType(ValType t) {
        return switch (t) {
            case I32 -> Val.Type.I32;
            case I64 -> Val.Type.I64;
            case F32 -> Val.Type.F32;
            case F64 -> Val.Type.F64;
            default -> throw new IllegalArgumentException("host functions cannot take " + t);
        };
    }

    @Override
    public Optional<WasmFunction> function(String name, FunctionType type) {
        checkOpen();
        WasmFunction known = exports.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Func> f = instance.getFunc(store, name);
        if (f.isEmpty()) {
            return Optional.empty();
        }
        funcs.add(f.get()); // cached and disposed with the instance: fetched Funcs leak otherwise
        Val.Type[] params = type.params().stream().map(WasmtimeInstance::valType).toArray(Val.Type[]::new);
        WasmFunction fn = (deadline, args) -> call(f.get(), params, deadline, args);
        exports.put(name, fn);
        return Optional.of(fn);
    }

    private long[] call(Func f, Val.Type[] params, Duration deadline, long[] args) throws GuestTrap {
        checkOpen();
        Val[] vals = new Val[args.length];
        if (params.length != args.length) {
            throw new IllegalArgumentException("export takes " + params.length + " arguments, got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            vals[i] = params[i] == Val.Type.I64 ? Val.fromI64(args[i]) : Val.fromI32((int) args[i]);
        }
        ticker.callStarting();
        Val[] results;
        try {
            store.setEpochDeadline(EpochTicker.deadlineTicks(deadline));
            results = guarded(() -> f.call(store, vals));
        } finally {
            ticker.callEnded();
        }
        long[] out = new long[results.length];
        for (int i = 0; i < results.length; i++) {
            out[i] = results[i].getType() == Val.Type.I64 ? results[i].i64() : results[i].i32();
        }
        return out;
    }

    @Override
    public Optional<LinearMemory> memory(String name) {
        checkOpen();
        Optional<Memory> m = instance.getMemory(store, name);
        m.ifPresent(memories::add);
        return m.map(memory -> LinearMemory.ofBuffers(() -> memory.buffer(store)));
    }

    @Override
    public boolean enforcesMemoryLimit() {
        return false; // the binding has no ResourceLimiter: the caller checks after each call
    }

    private void checkOpen() {
        if (closed) {
            // Using a disposed Store or Instance makes the binding panic, which aborts the JVM.
            throw new IllegalStateException("instance is closed");
        }
    }

    private interface GuestAction<T> {
        T run();
    }

    private static <T> T guarded(GuestAction<T> action) throws GuestTrap {
        try {
            return action.run();
        } catch (WasmFunctionError.TrapError e) {
            throw trap(e.trap());
        } catch (WasmFunctionError | WasmtimeException e) {
            String cause = rootCause(e.getMessage());
            if (cause.contains("interrupt")) {
                throw trap(Trap.INTERRUPT);
            }
            throw new GuestTrap(GuestTrap.Kind.OTHER, cause);
        }
    }

    private static GuestTrap trap(Trap trap) {
        return switch (trap) {
            case INTERRUPT -> new GuestTrap(GuestTrap.Kind.DEADLINE, "deadline");
            case STACK_OVERFLOW -> new GuestTrap(GuestTrap.Kind.STACK_OVERFLOW, "stack overflow");
            case MEMORY_OUT_OF_BOUNDS -> new GuestTrap(GuestTrap.Kind.MEMORY_OUT_OF_BOUNDS, "out of bounds");
            case UNREACHABLE_CODE_REACHED -> new GuestTrap(GuestTrap.Kind.UNREACHABLE, "unreachable");
            case INTEGER_DIVISION_BY_ZERO -> new GuestTrap(GuestTrap.Kind.DIVIDE_BY_ZERO, "division by zero");
            default -> new GuestTrap(GuestTrap.Kind.OTHER, trap.name().toLowerCase().replace('_', ' '));
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

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        memories.forEach(Memory::dispose);
        funcs.forEach(Func::dispose);
        if (instance != null) {
            instance.dispose();
        }
        if (gateInstance != null) {
            gateInstance.dispose();
        }
        store.dispose();
    }
}
