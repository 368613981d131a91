package io.softmaxcl.spark;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Locale;

/** The per-row operations {@link SoftmaxTransformer} runs, by the names {@code setOp} takes. */
enum Op {
    SOFTMAX("softmax"),
    LOG_SOFTMAX("log-softmax"),
    MASKED_SOFTMAX("masked-softmax"),
    CROSS_ENTROPY("cross-entropy"),
    ARGMAX("argmax"),
    TOP_K("top-k"),
    SAMPLE("sample");

    /** top-k's output: the k indices, logits and probabilities, each descending by logit. */
    static final StructType TOP_K_TYPE = new StructType(new StructField[] {
            DataTypes.createStructField("indices", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
            DataTypes.createStructField("values", DataTypes.createArrayType(DataTypes.FloatType, false), false),
            DataTypes.createStructField("probs", DataTypes.createArrayType(DataTypes.FloatType, false), false)});

    final String label;

    Op(String label) {
        this.label = label;
    }

    static Op parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Op op : values()) {
            if (op.label.equals(n)) {
                return op;
            }
        }
        throw new IllegalArgumentException("op must be one of " + names() + " (got '" + name + "')");
    }

    static String names() {
        StringBuilder b = new StringBuilder();
        for (Op op : values()) {
            b.append(b.length() == 0 ? "" : ", ").append(op.label);
        }
        return b.toString();
    }

    /** Ops whose output is one array per row, as long as the input row. */
    boolean perElement() {
        return this == SOFTMAX || this == LOG_SOFTMAX || this == MASKED_SOFTMAX;
    }

    DataType outputType() {
        switch (this) {
            case CROSS_ENTROPY:
                return DataTypes.FloatType;
            case ARGMAX:
            case SAMPLE:
                return DataTypes.IntegerType;
            case TOP_K:
                return TOP_K_TYPE;
            default:
                return new ArrayType(DataTypes.FloatType, false);
        }
    }
}
