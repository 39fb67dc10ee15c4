package io.opshell.host.wasm;

import io.github.kawamuray.wasmtime.Val;
import io.opshell.abi.GuestMemory;
import io.opshell.host.StateAccess;

/** What an imported function sees of the instance that called it. */
interface GuestCall {
    GuestMemory memory();

    GuestStdio stdio();

    StateAccess access();

    /** Records a {@code proc_exit}; the function then traps to unwind the guest. */
    void exitRequested(int code);

    /** An imported function's body: reads {@code params}, fills {@code results}. */
    @FunctionalInterface
    interface Handler {
        void handle(GuestCall call, Val[] params, Val[] results);
    }
}
