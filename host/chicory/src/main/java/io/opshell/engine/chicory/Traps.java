package io.opshell.engine.chicory;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import io.opshell.host.wasm.GuestAbort;
import io.opshell.host.wasm.GuestTrap;
import java.util.Locale;

/**
 * What stopped a guest call, in opshell's terms: Chicory reports traps as exceptions with the
 * spec's messages ("out of bounds memory access", "call stack exhausted", ...), lets a host
 * function's exception through, and signals an interrupted thread with
 * {@link ChicoryInterruptedException}. Where to change it: a new trap message is one more case in
 * {@link #kindOf}.
 */
final class Traps {
    private Traps() {}

    /** The trap for {@code failure}, thrown out of a guest call; {@code expired}: the call's deadline had passed. */
    static GuestTrap of(Throwable failure, boolean expired) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof GuestAbort) {
                return new GuestTrap(GuestTrap.Kind.HOST_ABORT, "aborted by the host");
            }
            if (t instanceof CallDeadline.DeadlineExceeded || t instanceof ChicoryInterruptedException) {
                // An interrupt that was not the deadline's (somebody interrupted the session thread) stops the call too.
                return new GuestTrap(GuestTrap.Kind.DEADLINE, expired ? "deadline" : "interrupted");
            }
            if (t instanceof StackOverflowError) {
                return new GuestTrap(GuestTrap.Kind.STACK_OVERFLOW, "stack overflow");
            }
            if (t instanceof OutOfMemoryError) {
                return new GuestTrap(GuestTrap.Kind.OTHER, "the host ran out of memory");
            }
            if (t.getCause() == t) {
                break;
            }
        }
        GuestTrap.Kind kind = kindOf(failure);
        if (kind == GuestTrap.Kind.OTHER && expired) {
            return new GuestTrap(GuestTrap.Kind.DEADLINE, "deadline");
        }
        return new GuestTrap(kind, describe(failure));
    }

    private static GuestTrap.Kind kindOf(Throwable failure) {
        if (failure instanceof ArithmeticException) {
            return GuestTrap.Kind.DIVIDE_BY_ZERO; // the JVM's own idiv/ldiv check, which the compiled code relies on
        }
        String m = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("call stack exhausted")) {
            return GuestTrap.Kind.STACK_OVERFLOW;
        }
        if (m.contains("out of bounds memory access")) {
            return GuestTrap.Kind.MEMORY_OUT_OF_BOUNDS;
        }
        if (m.contains("unreachable")) {
            return GuestTrap.Kind.UNREACHABLE;
        }
        if (m.contains("divide by zero") || m.contains("division by zero")) {
            return GuestTrap.Kind.DIVIDE_BY_ZERO;
        }
        return GuestTrap.Kind.OTHER;
    }

    private static String describe(Throwable failure) {
        String m = failure.getMessage();
        return m == null || m.isBlank() ? failure.getClass().getSimpleName() : m;
    }
}
