package io.opshell.host.wasm;

import io.opshell.abi.GuestMemory;
import io.opshell.host.StateAccess;

/** What an imported function sees of the instance that called it. */
interface GuestCall {
    GuestMemory memory();

    GuestStdio stdio();

    StateAccess access();

    /** Hands the shell the message of a failed host call (ABI.md, "Error messages"). */
    void errorMessage(String message);

    /** Why the host asks the running step to stop: 0 it does not, else an interrupt reason; see ABI.md. */
    int interruptRequested();

    /** Records a {@code proc_exit}; the function then throws {@link GuestAbort} to unwind the guest. */
    void exitRequested(int code);

    /** An imported function's body: reads {@code args} (i32 in the low 32 bits), returns its one result. */
    @FunctionalInterface
    interface Handler {
        long handle(GuestCall call, long[] args);
    }
}
