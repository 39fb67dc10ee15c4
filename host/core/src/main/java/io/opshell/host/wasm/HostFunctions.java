package io.opshell.host.wasm;

import static io.opshell.host.wasm.FunctionType.i32s;

import io.opshell.abi.Abi;
import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.abi.AbiLimits;
import io.opshell.abi.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code host} import module (guest-abi/ABI.md): decodes arguments from guest memory with
 * bounds and size checks, hands them to the session's {@link io.opshell.host.StateAccess}, and
 * encodes the result. Every function returns an i32: {@code >= 0} success (a length where the
 * result is bytes), {@code < 0} an {@link AbiError} code, with its message in the shell's error
 * buffer. One host call per state operation.
 *
 * <p>Adding a host function:
 * <ol>
 * <li>a row in guest-abi/ABI.md's "Host functions" table (name, type, result, error codes);</li>
 * <li>a {@code def(...)} line in {@link #definitions()} with the same type, and its body here:
 *     read arguments with {@link GuestMemory} (bounds first, then size caps, then content),
 *     check a result buffer before changing any state, return through {@code writeResult};</li>
 * <li>the operation itself on {@link io.opshell.host.StateAccess} (the session decides rights
 *     and audits there — never here), translated errors as {@link AbiException};</li>
 * <li>the Rust wrapper in guest-abi/rust/opshell_guest.rs ({@code raw} import plus a typed call);</li>
 * <li>bad-argument cases in the hostile test guest (HostileGuestTest) and a socket-level test.</li>
 * </ol>
 * Adding a function is compatible (old shells do not import it); changing one bumps {@code Abi.VERSION}.
 */
final class HostFunctions {
    private static final Logger log = LoggerFactory.getLogger(HostFunctions.class);
    private static final AbiLimits LIMITS = AbiLimits.DEFAULT;

    private HostFunctions() {}

    static List<ImportTable.Definition> definitions() {
        return List.of(
                def("add", FunctionType.of(List.of(ValType.I64, ValType.I32), ValType.I32), HostFunctions::add),
                def("sum", FunctionType.of(i32s(1), ValType.I32), HostFunctions::sum),
                def("kv_get", FunctionType.of(i32s(4), ValType.I32), HostFunctions::kvGet),
                def("kv_set", FunctionType.of(i32s(4), ValType.I32), HostFunctions::kvSet),
                def("kv_del", FunctionType.of(i32s(2), ValType.I32), HostFunctions::kvDel),
                def("kv_keys", FunctionType.of(i32s(4), ValType.I32), HostFunctions::kvKeys),
                def("whoami", FunctionType.of(i32s(2), ValType.I32), HostFunctions::whoami),
                def("call", FunctionType.of(i32s(6), ValType.I32), HostFunctions::call),
                def("fields", FunctionType.of(i32s(4), ValType.I32), HostFunctions::fields),
                def("interrupted", FunctionType.of(i32s(0), ValType.I32), HostFunctions::interrupted));
    }

    private static ImportTable.Definition def(String name, FunctionType t, ToIntFunction<Call> body) {
        return new ImportTable.Definition(Abi.HOST_MODULE, name, t, (call, args) -> guarded(name, body, new Call(call, args)));
    }

    /** One invocation's arguments and context. */
    private record Call(GuestCall ctx, long[] args) {
        int i32(int index) {
            return (int) args[index];
        }

        long i64(int index) {
            return args[index];
        }

        GuestMemory mem() {
            return ctx.memory();
        }
    }

    private static int guarded(String name, ToIntFunction<Call> body, Call call) {
        try {
            return body.applyAsInt(call);
        } catch (AbiException e) {
            return fail(call, e.error(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("host function {} failed", name, e);
            return fail(call, AbiError.INTERNAL, "internal error in the host (logged on the server)");
        }
    }

    private static int fail(Call call, AbiError error, String message) {
        call.ctx().errorMessage(message);
        return error.code();
    }

    private static int fields(Call c) {
        String prefix = c.mem().readText(c.i32(0), c.i32(1), LIMITS.maxKeyBytes(), "prefix");
        c.mem().checkRange(c.i32(2), c.i32(3), "result buffer");
        return c.mem().writeResult(c.i32(2), c.i32(3), utf8(String.join("\n", c.ctx().access().fields(prefix))));
    }

    /** {@code interrupted() -> i32}: whether the host asks the step to stop; the reason's text goes to the error buffer. */
    private static int interrupted(Call c) {
        int reason = c.ctx().interruptRequested();
        return reason;
    }

    private static int add(Call c) {
        int out = c.i32(1);
        c.mem().checkRange(out, Long.BYTES, "result slot"); // before the state changes
        c.mem().writeI64(out, c.ctx().access().add(c.i64(0)));
        return 0;
    }

    private static int sum(Call c) {
        int out = c.i32(0);
        c.mem().checkRange(out, Long.BYTES, "result slot");
        c.mem().writeI64(out, c.ctx().access().sum());
        return 0;
    }

    private static int kvGet(Call c) {
        String key = c.mem().readKey(c.i32(0), c.i32(1), LIMITS.maxKeyBytes());
        c.mem().checkRange(c.i32(2), c.i32(3), "result buffer");
        Optional<String> value = c.ctx().access().get(key);
        if (value.isEmpty()) {
            return fail(c, AbiError.NOT_FOUND, "no such key: " + key);
        }
        return c.mem().writeResult(c.i32(2), c.i32(3), utf8(value.get()));
    }

    private static int kvSet(Call c) {
        String key = c.mem().readKey(c.i32(0), c.i32(1), LIMITS.maxKeyBytes());
        String value = c.mem().readText(c.i32(2), c.i32(3), LIMITS.maxValueBytes(), "value");
        c.ctx().access().set(key, value);
        return 0;
    }

    private static int kvDel(Call c) {
        String key = c.mem().readKey(c.i32(0), c.i32(1), LIMITS.maxKeyBytes());
        return c.ctx().access().delete(key) ? 0 : fail(c, AbiError.NOT_FOUND, "no such key: " + key);
    }

    private static int kvKeys(Call c) {
        String prefix = c.mem().readText(c.i32(0), c.i32(1), LIMITS.maxKeyBytes(), "prefix");
        c.mem().checkRange(c.i32(2), c.i32(3), "result buffer");
        return c.mem().writeResult(c.i32(2), c.i32(3), utf8(String.join("\n", c.ctx().access().keys(prefix))));
    }

    private static int whoami(Call c) {
        c.mem().checkRange(c.i32(0), c.i32(1), "result buffer");
        return c.mem().writeResult(c.i32(0), c.i32(1), utf8(c.ctx().access().whoami()));
    }

    private static int call(Call c) {
        String name = c.mem().readText(c.i32(0), c.i32(1), LIMITS.maxNameBytes(), "action name");
        String arg = c.mem().readText(c.i32(2), c.i32(3), LIMITS.maxArgBytes(), "action argument");
        c.mem().checkRange(c.i32(4), c.i32(5), "result buffer");
        return c.mem().writeResult(c.i32(4), c.i32(5), utf8(c.ctx().access().call(name, arg)));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
