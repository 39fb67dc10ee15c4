package io.opshell.engine.chicory;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Modules translated to JVM classes, shared by every Chicory engine in this JVM and found by the
 * SHA-256 of their bytes. Translating the scheme shell takes seconds, and the JIT then has to
 * warm the new classes up again; a server restarted in the same JVM (an embedder's, or a test
 * suite's hundred) reuses both. The {@value #MAX_ENTRIES} most recently used modules are kept; an
 * evicted one's classes go when its last instance does.
 */
final class CompiledModules {
    static final int MAX_ENTRIES = 32;

    /** A parsed module and the factory of its compiled machines. Both are immutable and thread-safe. */
    record Compiled(WasmModule module, Function<Instance, Machine> machines) {}

    private static final Map<String, Compiled> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private CompiledModules() {}

    /** The compiled form of {@code wasm}, translated now unless this JVM already has it. */
    static Compiled of(String shellName, byte[] wasm) {
        String key = sha256(wasm);
        synchronized (CACHE) {
            Compiled known = CACHE.get(key);
            if (known != null) {
                return known;
            }
        }
        WasmModule module = Parser.parse(wasm);
        Function<Instance, Machine> machines = MachineFactoryCompiler.builder(module)
                .withInterpreterFallback(InterpreterFallback.FAIL) // never the interpreter: 3-250x slower
                .withClassName("opshell.guest." + javaName(shellName))
                .compile();
        Compiled compiled = new Compiled(module, machines);
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(key, k -> compiled);
        }
    }

    /** A shell name as a Java identifier, for the generated classes' names (seen in stack traces and profiles). */
    private static String javaName(String shellName) {
        StringBuilder b = new StringBuilder("Shell_");
        shellName.codePoints().forEach(c -> b.append(Character.isJavaIdentifierPart(c) && c < 128 ? (char) c : '_'));
        return b.toString();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
