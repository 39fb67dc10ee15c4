package io.opshell.host.wasm;

import static io.opshell.host.wasm.ImportTable.i32s;
import static io.opshell.host.wasm.ImportTable.type;

import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.Val;
import io.opshell.abi.Abi;
import io.opshell.abi.AbiException;
import io.opshell.abi.GuestMemory;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The WASI preview-1 functions a shell gets: stdin (fd 0) is the operator's input received so
 * far, stdout and stderr (fd 1, 2) go to the operator. No files, no preopened directories, no
 * environment, no arguments. Other WASI functions answer {@code ENOSYS}.
 */
final class WasiStdioFunctions {
    static final int ERRNO_SUCCESS = 0;
    static final int ERRNO_AGAIN = 6;
    static final int ERRNO_BADF = 8;
    static final int ERRNO_FAULT = 21;
    static final int ERRNO_INVAL = 28;
    static final int ERRNO_NOSYS = 52;

    private static final int FILETYPE_CHARACTER_DEVICE = 2;
    /** An iovec array longer than this is refused with EINVAL (Linux's IOV_MAX). */
    private static final int MAX_IOVECS = 1024;
    /** random_get serves at most this much per call. */
    private static final int MAX_RANDOM_BYTES = 64 * 1024;

    private WasiStdioFunctions() {}

    /** A WASI function's body: returns its errno; a pointer outside guest memory becomes EFAULT. */
    @FunctionalInterface
    private interface Body {
        int run(GuestCall call, Val[] params);
    }

    static List<ImportTable.Definition> definitions() {
        return List.of(
                def("fd_read", i32s(4), WasiStdioFunctions::fdRead),
                def("fd_write", i32s(4), WasiStdioFunctions::fdWrite),
                def("fd_close", i32s(1), (c, p) -> isStdio(p[0].i32()) ? ERRNO_SUCCESS : ERRNO_BADF),
                def("fd_fdstat_get", i32s(2), WasiStdioFunctions::fdFdstatGet),
                def("fd_prestat_get", i32s(2), (c, p) -> ERRNO_BADF),
                def("fd_prestat_dir_name", i32s(3), (c, p) -> ERRNO_BADF),
                def("environ_sizes_get", i32s(2), WasiStdioFunctions::twoZeros),
                def("environ_get", i32s(2), (c, p) -> ERRNO_SUCCESS),
                def("args_sizes_get", i32s(2), WasiStdioFunctions::twoZeros),
                def("args_get", i32s(2), (c, p) -> ERRNO_SUCCESS),
                def("random_get", i32s(2), WasiStdioFunctions::randomGet),
                def("clock_time_get", new Val.Type[] {Val.Type.I32, Val.Type.I64, Val.Type.I32}, WasiStdioFunctions::clockTimeGet),
                def("sched_yield", i32s(0), (c, p) -> ERRNO_SUCCESS),
                new ImportTable.Definition(Abi.WASI_MODULE, "proc_exit", type(i32s(1)), WasiStdioFunctions::procExit));
    }

    private static ImportTable.Definition def(String name, Val.Type[] params, Body body) {
        FuncType t = type(params, Val.Type.I32);
        return new ImportTable.Definition(Abi.WASI_MODULE, name, t, (call, p, r) -> {
            int errno;
            try {
                errno = body.run(call, p);
            } catch (AbiException e) {
                errno = ERRNO_FAULT;
            }
            r[0] = Val.fromI32(errno);
        });
    }

    static void notSupported(GuestCall call, Val[] params, Val[] results) {
        results[0] = Val.fromI32(ERRNO_NOSYS);
    }

    private static boolean isStdio(int fd) {
        return fd >= 0 && fd <= 2;
    }

    /** fd_read(fd, iovs, iovs_len, nread): input received so far, EAGAIN when none is left. */
    private static int fdRead(GuestCall call, Val[] p) {
        int fd = p[0].i32(), iovs = p[1].i32(), count = p[2].i32(), nreadPtr = p[3].i32();
        if (fd != 0) {
            return ERRNO_BADF;
        }
        if (count < 0 || count > MAX_IOVECS) {
            return ERRNO_INVAL;
        }
        GuestStdio stdio = call.stdio();
        if (stdio.inputReady() == 0 && !stdio.endOfInput()) {
            return ERRNO_AGAIN;
        }
        GuestMemory mem = call.memory();
        int total = 0;
        for (int i = 0; i < count && stdio.inputReady() > 0; i++) {
            int base = iovs + 8 * i;
            total += stdio.readInto(mem, mem.readI32(base), mem.readI32(base + 4));
        }
        mem.writeI32(nreadPtr, total);
        return ERRNO_SUCCESS;
    }

    /** fd_write(fd, iovs, iovs_len, nwritten): fd 1 and 2 both go to the operator. */
    private static int fdWrite(GuestCall call, Val[] p) {
        int fd = p[0].i32(), iovs = p[1].i32(), count = p[2].i32(), nwrittenPtr = p[3].i32();
        if (fd != 1 && fd != 2) {
            return ERRNO_BADF;
        }
        if (count < 0 || count > MAX_IOVECS) {
            return ERRNO_INVAL;
        }
        GuestMemory mem = call.memory();
        long total = 0;
        for (int i = 0; i < count; i++) {
            int base = iovs + 8 * i;
            int len = mem.readI32(base + 4);
            call.stdio().write(mem, mem.readI32(base), len);
            total += Integer.toUnsignedLong(len);
        }
        // Output beyond the per-step cap is dropped but reported as written, so the guest
        // does not spin retrying; the host tells the operator after the step.
        mem.writeI32(nwrittenPtr, (int) Math.min(total, Integer.MAX_VALUE));
        return ERRNO_SUCCESS;
    }

    /** fd_fdstat_get(fd, out): stdio fds are character devices; everything else is EBADF. */
    private static int fdFdstatGet(GuestCall call, Val[] p) {
        int fd = p[0].i32(), out = p[1].i32();
        if (!isStdio(fd)) {
            return ERRNO_BADF;
        }
        byte[] fdstat = new byte[24]; // filetype u8, flags u16, rights_base u64, rights_inheriting u64
        fdstat[0] = FILETYPE_CHARACTER_DEVICE;
        long rights = fd == 0 ? 1L << 1 : 1L << 6; // fd_read or fd_write
        for (int i = 0; i < 8; i++) {
            fdstat[8 + i] = (byte) (rights >>> (8 * i));
        }
        call.memory().writeBytes(out, fdstat, 0, fdstat.length);
        return ERRNO_SUCCESS;
    }

    private static int twoZeros(GuestCall call, Val[] p) {
        call.memory().writeI32(p[0].i32(), 0);
        call.memory().writeI32(p[1].i32(), 0);
        return ERRNO_SUCCESS;
    }

    private static int randomGet(GuestCall call, Val[] p) {
        int buf = p[0].i32(), len = p[1].i32();
        if (len < 0 || len > MAX_RANDOM_BYTES) {
            return ERRNO_INVAL;
        }
        byte[] random = new byte[len];
        ThreadLocalRandom.current().nextBytes(random);
        call.memory().writeBytes(buf, random, 0, len);
        return ERRNO_SUCCESS;
    }

    /** clock_time_get(id, precision, out): realtime (0) and monotonic (1) clocks, in nanoseconds. */
    private static int clockTimeGet(GuestCall call, Val[] p) {
        int id = p[0].i32(), out = p[2].i32();
        long nanos;
        if (id == 0) {
            java.time.Instant now = java.time.Instant.now();
            nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        } else if (id == 1) {
            nanos = System.nanoTime();
        } else {
            return ERRNO_INVAL;
        }
        call.memory().writeI64(out, nanos);
        return ERRNO_SUCCESS;
    }

    private static void procExit(GuestCall call, Val[] p, Val[] r) {
        call.exitRequested(p[0].i32());
        throw new GuestExit(p[0].i32());
    }

    /** Unwinds the guest after proc_exit; the binding turns it into a trap. */
    static final class GuestExit extends RuntimeException {
        GuestExit(int code) {
            super("guest called proc_exit(" + code + ")", null, false, false);
        }
    }
}
