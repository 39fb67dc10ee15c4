package io.opshell.host.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Test guests written in WAT, compiled with wabt's wat2wasm (installed by scripts/bootstrap). */
public final class Wat {
    private Wat() {}

    public static byte[] compile(String wat) {
        try {
            Path dir = Files.createTempDirectory("opshell-wat");
            Path src = dir.resolve("guest.wat");
            Path bin = dir.resolve("guest.wasm");
            Files.writeString(src, wat);
            Process p = new ProcessBuilder("wat2wasm", src.toString(), "-o", bin.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("wat2wasm failed: " + log);
            }
            byte[] wasm = Files.readAllBytes(bin);
            Files.delete(bin);
            Files.delete(src);
            Files.delete(dir);
            return wasm;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A test guest from src/test/resources/guests/NAME.wat. */
    public static byte[] resource(String name) {
        try (InputStream in = Wat.class.getResourceAsStream("/guests/" + name + ".wat")) {
            if (in == null) {
                throw new IllegalArgumentException("no test guest " + name);
            }
            return compile(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
