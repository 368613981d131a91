package io.softmaxcl.cli;

/** The NumPy dtypes the CLI reads and writes, by their {@code .npy} {@code descr} string. */
enum NpyType {
    FLOAT32("<f4", 4),
    FLOAT64("<f8", 8),
    /** IEEE float16. */
    FLOAT16("<f2", 2),
    /** Raw 16-bit patterns: with {@code --dtype bf16}, bfloat16 bits (NumPy has no bfloat16). */
    UINT16("<u2", 2),
    INT32("<i4", 4),
    INT64("<i8", 8),
    BOOL("|b1", 1),
    UINT8("|u1", 1),
    INT8("|i1", 1);

    final String descr;
    final int size;

    NpyType(String descr, int size) {
        this.descr = descr;
        this.size = size;
    }

    /** The type with this {@code descr}, or null. */
    static NpyType of(String descr) {
        for (NpyType t : values()) {
            if (t.descr.equals(descr)) {
                return t;
            }
        }
        return null;
    }
}
