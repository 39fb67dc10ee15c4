package io.opshell.host.wasm;

import static io.opshell.host.wasm.FunctionType.i32s;

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
        int run(GuestCall call, long[] args);
    }

    static List<ImportTable.Definition> definitions() {
        return List.of(
                def("fd_read", i32s(4), WasiStdioFunctions::fdRead),
                def("fd_write", i32s(4), WasiStdioFunctions::fdWrite),
                def("fd_close", i32s(1), (c, p) -> isStdio((int) p[0]) ? ERRNO_SUCCESS : ERRNO_BADF),
                def("fd_fdstat_get", i32s(2), WasiStdioFunctions::fdFdstatGet),
                def("fd_prestat_get", i32s(2), (c, p) -> ERRNO_BADF),
                def("fd_prestat_dir_name", i32s(3), (c, p) -> ERRNO_BADF),
                def("environ_sizes_get", i32s(2), WasiStdioFunctions::twoZeros),
                def("environ_get", i32s(2), (c, p) -> ERRNO_SUCCESS),
                def("args_sizes_get", i32s(2), WasiStdioFunctions::twoZeros),
                def("args_get", i32s(2), (c, p) -> ERRNO_SUCCESS),
                def("random_get", i32s(2), WasiStdioFunctions::randomGet),
                def("clock_time_get", List.of(ValType.I32, ValType.I64, ValType.I32), WasiStdioFunctions::clockTimeGet),
                def("sched_yield", i32s(0), (c, p) -> ERRNO_SUCCESS),
                new ImportTable.Definition(Abi.WASI_MODULE, "proc_exit", FunctionType.of(i32s(1)), WasiStdioFunctions::procExit));
    }

    private static ImportTable.Definition def(String name, List<ValType> params, Body body) {
        return new ImportTable.Definition(Abi.WASI_MODULE, name, FunctionType.of(params, ValType.I32), (call, args) -> {
            try {
                return body.run(call, args);
            } catch (AbiException e) {
                return ERRNO_FAULT;
            }
        });
    }

    static long notSupported(GuestCall call, long[] args) {
        return ERRNO_NOSYS;
    }

    private static boolean isStdio(int fd) {
        return fd >= 0 && fd <= 2;
    }

    /** fd_read(fd, iovs, iovs_len, nread): input received so far, EAGAIN when none is left. */
    private static int fdRead(GuestCall call, long[] p) {
        int fd = (int) p[0], iovs = (int) p[1], count = (int) p[2], nreadPtr = (int) p[3];
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
    private static int fdWrite(GuestCall call, long[] p) {
        int fd = (int) p[0], iovs = (int) p[1], count = (int) p[2], nwrittenPtr = (int) p[3];
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
    private static int fdFdstatGet(GuestCall call, long[] p) {
        int fd = (int) p[0], out = (int) p[1];
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

    private static int twoZeros(GuestCall call, long[] p) {
        call.memory().writeI32((int) p[0], 0);
        call.memory().writeI32((int) p[1], 0);
        return ERRNO_SUCCESS;
    }

    private static int randomGet(GuestCall call, long[] p) {
        int buf = (int) p[0], len = (int) p[1];
        if (len < 0 || len > MAX_RANDOM_BYTES) {
            return ERRNO_INVAL;
        }
        byte[] random = new byte[len];
        ThreadLocalRandom.current().nextBytes(random);
        call.memory().writeBytes(buf, random, 0, len);
        return ERRNO_SUCCESS;
    }

    /** clock_time_get(id, precision, out): realtime (0) and monotonic (1) clocks, in nanoseconds. */
    private static int clockTimeGet(GuestCall call, long[] p) {
        int id = (int) p[0], out = (int) p[2];
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

    private static long procExit(GuestCall call, long[] p) {
        call.exitRequested((int) p[0]);
        throw GuestAbort.INSTANCE;
    }
}
