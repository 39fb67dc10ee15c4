package io.opshell.abi;

/**
 * Names and numbers of the shell ABI, version {@value #VERSION}. {@code guest-abi/ABI.md} is the
 * specification; this class and the Rust guest library must say the same thing.
 */
public final class Abi {
    /** Bumped on any incompatible change; a shell exporting another version is refused at load. */
    public static final int VERSION = 2;

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
     * Optional, {@code () -> i32}: sets up the shared buffers and returns the address of their
     * descriptor, {@link Descriptor#FIELDS} little-endian u32 (ABI.md, "Shared buffers").
     */
    public static final String EXPORT_BUFFERS = "opshell_buffers";
    /** Largest input or output buffer the descriptor may declare. */
    public static final int MAX_SHARED_BUFFER = 16 * 1024 * 1024;
    /** Most answer marks the descriptor may declare room for. */
    public static final int MAX_MARKS = 64 * 1024;
    /** Bytes of one answer mark: u32 start, u32 end, u32 status. */
    public static final int MARK_BYTES = 12;
    /** Mark status: the line was answered. */
    public static final int MARK_OK = 0;
    /** Mark status: the line's answer is an error. */
    public static final int MARK_ERROR = 1;
    /** Mark status: the shell holds the line as part of an incomplete input and awaits more. */
    public static final int MARK_MORE = 2;

    /** Byte offsets of the shared-buffer descriptor's u32 fields. */
    public static final class Descriptor {
        public static final int IN_PTR = 0;
        public static final int IN_CAP = 4;
        public static final int OUT_PTR = 8;
        public static final int OUT_CAP = 12;
        /** Output bytes the shell has put in its buffer; the host takes them and writes 0. */
        public static final int OUT_LEN = 16;
        public static final int MARKS_PTR = 20;
        public static final int MARKS_CAP = 24;
        /** Marks the shell has written; the host takes them and writes 0. */
        public static final int MARKS_LEN = 28;
        public static final int ERR_PTR = 32;
        public static final int ERR_CAP = 36;
        /** Length of the message the host wrote at ERR_PTR for the last failed host call. */
        public static final int ERR_LEN = 40;
        /** Written by the host: the session's guest memory limit in KiB. */
        public static final int MEMORY_LIMIT_KIB = 44;
        /** Written by the host: the session's CPU limit per step in milliseconds. */
        public static final int STEP_MS = 48;
        /** Size of the descriptor in bytes. */
        public static final int BYTES = 52;

        private Descriptor() {}
    }
    /** The shell's linear memory; it must declare a maximum. */
    public static final String EXPORT_MEMORY = "memory";

    public static final int STEP_CONTINUE = 0;
    public static final int STEP_CLOSE = 1;

    private Abi() {}
}
