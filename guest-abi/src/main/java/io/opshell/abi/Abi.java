package io.opshell.abi;

/**
 * Names and numbers of the shell ABI, version {@value #VERSION}. {@code guest-abi/ABI.md} is the
 * specification; this class and the Rust guest library must say the same thing.
 */
public final class Abi {
    /** Bumped on any incompatible change; a shell exporting another version is refused at load. */
    public static final int VERSION = 1;

    /** The import module of the host functions. */
    public static final String HOST_MODULE = "host";
    /** The import module of the WASI functions the host serves (stdio only). */
    public static final String WASI_MODULE = "wasi_snapshot_preview1";

    /** {@code () -> i32}: the ABI version the shell was built for. */
    public static final String EXPORT_VERSION = "opshell_abi_version";
    /** {@code () -> ()}: called once after instantiation; may write a greeting and a prompt. */
    public static final String EXPORT_INIT = "opshell_init";
    /** {@code (ready: i32, eof: i32) -> i32}: consume input, answer; returns {@link #STEP_CONTINUE} or {@link #STEP_CLOSE}. */
    public static final String EXPORT_STEP = "opshell_step";
    /** Optional, the WASI reactor initializer: called once after instantiation, before {@link #EXPORT_INIT}. */
    public static final String EXPORT_WASI_INITIALIZE = "_initialize";
    /**
     * Optional, {@code () -> i32}: sets up the shared input/output buffers and returns the address of
     * their descriptor: five little-endian u32 {@code in_ptr, in_cap, out_ptr, out_cap, out_len}.
     */
    public static final String EXPORT_BUFFERS = "opshell_buffers";
    /** Largest buffer the descriptor may declare. */
    public static final int MAX_SHARED_BUFFER = 16 * 1024 * 1024;
    /** The shell's linear memory; it must declare a maximum. */
    public static final String EXPORT_MEMORY = "memory";

    public static final int STEP_CONTINUE = 0;
    public static final int STEP_CLOSE = 1;

    private Abi() {}
}
