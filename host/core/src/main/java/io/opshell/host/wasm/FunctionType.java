package io.opshell.host.wasm;

import java.util.List;

/** A function's parameter and result types. */
public record FunctionType(List<ValType> params, List<ValType> results) {
    public FunctionType {
        params = List.copyOf(params);
        results = List.copyOf(results);
    }

    public static FunctionType of(List<ValType> params, ValType... results) {
        return new FunctionType(params, List.of(results));
    }

    /** {@code n} i32 parameters. */
    public static List<ValType> i32s(int n) {
        return java.util.Collections.nCopies(n, ValType.I32);
    }

    @Override
    public String toString() {
        return params + " -> " + results;
    }
}
