package io.opshell.host.wasm;

import java.time.Duration;

/** An exported function of one instance. */
public interface WasmFunction {
    /**
     * Calls it with {@code args} (i32 values as {@code long}, low 32 bits) and returns its results.
     * The call is stopped with {@link GuestTrap.Kind#DEADLINE} once it has run {@code deadline}
     * (at the engine's resolution), on whatever it is doing; the instance is then unusable.
     *
     * @throws GuestTrap if the guest traps, runs past the deadline, or a host import aborted it
     */
    long[] call(Duration deadline, long... args) throws GuestTrap;
}
