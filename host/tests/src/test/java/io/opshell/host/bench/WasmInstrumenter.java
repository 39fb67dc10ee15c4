package io.opshell.host.bench;

import io.opshell.host.support.Wat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes a counting copy of a shell module, to measure (not assume) how often a command crosses
 * between host and guest. The module is disassembled with wabt's {@code wasm2wat}; every imported
 * function is renamed and replaced by a wrapper that first calls {@code host.call("pNN")} and then
 * the original import, and {@code opshell_step} is wrapped the same way. The host's probe for
 * "pNN" counts; everything else is the unchanged guest. The probe calls themselves are not counted.
 */
final class WasmInstrumenter {
    private static final Pattern IMPORT = Pattern.compile(
            "^(\\s*)\\(import \"([^\"]+)\" \"([^\"]+)\" \\(func \\$(\\S+) \\(type \\$(\\S+)\\)\\)\\)\\s*$");
    private static final Pattern TYPE = Pattern.compile("^\\s*\\(type \\$(\\S+) \\(func(.*)\\)\\)\\s*$");
    private static final Pattern PARAM = Pattern.compile("\\(param ([^)]*)\\)");
    private static final Pattern STEP_EXPORT = Pattern.compile("\\(export \"opshell_step\" \\(func \\$(\\S+)\\)\\)");
    /** Probe names live here in guest memory: the bottom of the Rust stack (stack-first layout), never reached. */
    private static final int NAMES_AT = 64;

    private WasmInstrumenter() {}

    /** The counting module and, per probe index, what it counts ("wasi_snapshot_preview1.fd_read", "guest opshell_step"). */
    record Instrumented(byte[] wasm, List<String> counted) {
        static String probeName(int i) {
            return String.format("p%02d", i);
        }
    }

    static Instrumented instrument(byte[] wasm) throws IOException, InterruptedException {
        String wat = disassemble(wasm);
        List<String> lines = new ArrayList<>(List.of(wat.split("\n", -1)));
        Map<String, Integer> paramCounts = new HashMap<>();
        for (String line : lines) {
            Matcher m = TYPE.matcher(line);
            if (m.matches()) {
                int n = 0;
                Matcher p = PARAM.matcher(m.group(2));
                while (p.find()) {
                    n += p.group(1).trim().split("\\s+").length;
                }
                paramCounts.put(m.group(1), n);
            }
        }
        List<String> counted = new ArrayList<>();
        StringBuilder wrappers = new StringBuilder();
        int lastImport = -1;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = IMPORT.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            lastImport = i;
            String module = m.group(2), name = m.group(3), fn = m.group(4), type = m.group(5);
            Integer params = paramCounts.get(type);
            if (params == null) {
                throw new IOException("wasm2wat output: no type $" + type + " for import " + module + "." + name);
            }
            lines.set(i, m.group(1) + "(import \"" + module + "\" \"" + name + "\" (func $bench_orig_" + fn + " (type $" + type + ")))");
            int id = counted.size();
            counted.add(module + "." + name);
            wrappers.append("  (func $").append(fn).append(" (type $").append(type).append(")\n    ")
                    .append(countCall(id)).append("\n    (call $bench_orig_").append(fn);
            for (int p = 0; p < params; p++) {
                wrappers.append(" (local.get ").append(p).append(')');
            }
            wrappers.append("))\n");
        }
        if (lastImport < 0) {
            throw new IOException("wasm2wat output has no function imports in the expected form");
        }
        boolean stepFound = false;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = STEP_EXPORT.matcher(lines.get(i));
            if (m.find()) {
                int id = counted.size();
                counted.add("guest opshell_step");
                wrappers.append("  (func $bench_step (param i32 i32) (result i32)\n    ").append(countCall(id))
                        .append("\n    (call $").append(m.group(1)).append(" (local.get 0) (local.get 1)))\n");
                lines.set(i, m.replaceFirst("(export \"opshell_step\" (func \\$bench_step))"));
                stepFound = true;
            }
        }
        if (!stepFound) {
            throw new IOException("wasm2wat output has no opshell_step export");
        }
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < counted.size(); i++) {
            names.append(Instrumented.probeName(i));
        }
        wrappers.append("  (data (i32.const ").append(NAMES_AT).append(") \"").append(names).append("\")\n");
        lines.add(lastImport + 1,
                "  (import \"host\" \"call\" (func $bench_probe (param i32 i32 i32 i32 i32 i32) (result i32)))");
        // The module's closing parenthesis ends the last non-blank line (wasm2wat puts it after the last field).
        int close = lines.size() - 1;
        while (lines.get(close).isBlank()) {
            close--;
        }
        String last = lines.get(close).stripTrailing();
        if (!last.endsWith(")")) {
            throw new IOException("wasm2wat output does not end with the module's ')'");
        }
        lines.set(close, last.substring(0, last.length() - 1));
        lines.add(close + 1, wrappers + ")");
        return new Instrumented(Wat.compile(String.join("\n", lines)), List.copyOf(counted));
    }

    private static String countCall(int id) {
        int nameAt = NAMES_AT + 3 * id;
        return "(drop (call $bench_probe (i32.const " + nameAt + ") (i32.const 3) (i32.const 0) (i32.const 0)"
                + " (i32.const 0) (i32.const 0)))";
    }

    private static String disassemble(byte[] wasm) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("opshell-bench-wasm");
        try {
            Path in = dir.resolve("shell.wasm");
            Path out = dir.resolve("shell.wat");
            Files.write(in, wasm);
            Process p = new ProcessBuilder("wasm2wat", "--generate-names", in.toString(), "-o", out.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("wasm2wat failed: " + log);
            }
            return Files.readString(out);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
