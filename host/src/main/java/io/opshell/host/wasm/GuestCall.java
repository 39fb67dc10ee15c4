package io.opshell.host.wasm;

import io.github.kawamuray.wasmtime.Val;
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

    /** Records a {@code proc_exit}; the function then traps to unwind the guest. */
    void exitRequested(int code);

    /** An imported function's body: reads {@code params}, fills {@code results}. */
    @FunctionalInterface
    interface Handler {
        void handle(GuestCall call, Val[] params, Val[] results);
    }
}
