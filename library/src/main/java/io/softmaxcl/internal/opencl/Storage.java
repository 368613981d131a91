package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;

import java.util.Locale;

/**
 * The storage types of a forward call's input rows ({@code x}) and output rows ({@code y}) in device memory, and
 * the build defines of {@code common.cl} that select them ({@code -DX_F16}, {@code -DY_BF16}, ...). Arithmetic is
 * float32 whatever they are.
 */
record Storage(DType x, DType y) {

    /** float32 in and out: the main program's own kernels. */
    static final Storage F32 = new Storage(DType.F32, DType.F32);

    /** The build options that select this storage (empty for float32). */
    String defines() {
        return define("X", x) + define("Y", y);
    }

    long xBytes() {
        return bytes(x);
    }

    long yBytes() {
        return bytes(y);
    }

    static long bytes(DType t) {
        return t == DType.F32 ? 4 : 2;
    }

    private static String define(String which, DType t) {
        return t == DType.F32 ? "" : " -D" + which + "_" + t.name().toUpperCase(Locale.ROOT);
    }
}
