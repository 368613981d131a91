package io.softmaxcl;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Where a batch's values live and in which storage type: a {@code float[]} or {@link FloatBuffer} of
 * {@link DType#F32}, or a {@code short[]} or {@link ShortBuffer} of {@link DType#F16} / {@link DType#BF16} raw
 * bits, from an offset (a buffer: from its position, which calls do not change). Lets every operation take any
 * input and output type without an overload per combination:
 *
 * <pre>{@code
 * engine.softmax(RowData.of(bf16Bits, 0, DType.BF16), RowData.of(probs, 0), rows, cols);
 * }</pre>
 */
public final class RowData {

    final Object storage;      // float[], short[], FloatBuffer or ShortBuffer
    final int offset;
    final DType type;

    private RowData(Object storage, int offset, DType type) {
        this.storage = storage;
        this.offset = offset;
        this.type = type;
    }

    /** float32 values in {@code data} from {@code offset}. */
    public static RowData of(float[] data, int offset) {
        return new RowData(nonNull(data, "data"), offset, DType.F32);
    }

    /** Half-precision bits of {@code type} (F16 or BF16) in {@code data} from {@code offset}. */
    public static RowData of(short[] data, int offset, DType type) {
        return new RowData(nonNull(data, "data"), offset, halfType(type));
    }

    /** float32 values in {@code data} from its position. */
    public static RowData of(FloatBuffer data) {
        return new RowData(nonNull(data, "data"), data.position(), DType.F32);
    }

    /** Half-precision bits of {@code type} (F16 or BF16) in {@code data} from its position. */
    public static RowData of(ShortBuffer data, DType type) {
        return new RowData(nonNull(data, "data"), data.position(), halfType(type));
    }

    /** The storage type. */
    public DType type() {
        return type;
    }

    /** Number of elements available from the offset. */
    int capacity() {
        if (storage instanceof float[]) {
            return ((float[]) storage).length - offset;
        }
        if (storage instanceof short[]) {
            return ((short[]) storage).length - offset;
        }
        return storage instanceof FloatBuffer ? ((FloatBuffer) storage).limit() - offset
                : ((ShortBuffer) storage).limit() - offset;
    }

    boolean readOnly() {
        return storage instanceof FloatBuffer ? ((FloatBuffer) storage).isReadOnly()
                : storage instanceof ShortBuffer && ((ShortBuffer) storage).isReadOnly();
    }

    @Override
    public String toString() {
        return "RowData[" + type + ", " + storage.getClass().getSimpleName() + " from " + offset + "]";
    }

    private static <T> T nonNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    private static DType halfType(DType type) {
        if (type != DType.F16 && type != DType.BF16) {
            throw new IllegalArgumentException("type: a short[] or ShortBuffer holds F16 or BF16 bits (got "
                    + type + "); use a float[] or FloatBuffer for F32");
        }
        return type;
    }
}
