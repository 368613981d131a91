package io.softmaxcl.spark;

import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/**
 * Softmax and its relatives over an {@code array<float>} column, one row of logits per row, on softmax-cl.
 *
 * <pre>{@code
 * Dataset<Row> out = new SoftmaxTransformer().setInputCol("logits").setOutputCol("logp")
 *         .setOp("log-softmax").setTemperature(0.7).transform(df);
 * }</pre>
 *
 * <p>Ops ({@link #setOp}) and their output column: {@code softmax}, {@code log-softmax}, {@code masked-softmax}
 * (mask column {@code array<boolean>}, {@code array<tinyint>} or {@code array<int>}, non-zero keeps) →
 * {@code array<float>}; {@code cross-entropy} (target column of an integer type) → {@code float} loss per row;
 * {@code argmax} and {@code sample} → {@code int} token; {@code top-k} → {@code struct<indices, values, probs>}.
 * The temperature divides the logits first for every op ({@code sample} applies it as its own filter).
 *
 * <p>Rows are batched per partition ({@link #setBatchSize}) and computed by one engine per executor JVM, on the
 * task's Spark-assigned GPU when it has one (see README "On a cluster"). Every non-empty row of a partition must
 * have the same length: a row of another length fails the task naming its partition and row. A null row gives a
 * null output; an empty row gives an empty array for the per-element ops and null for the others. A null target,
 * or a target equal to the ignore index, gives a null loss, so {@code avg(loss)} is PyTorch's mean reduction.
 */
public final class SoftmaxTransformer extends Transformer {

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> op;
    private final DoubleParam temperature;
    private final Param<String> maskCol;
    private final Param<String> targetCol;
    private final IntParam batchSize;
    private final IntParam k;
    private final DoubleParam topP;
    private final DoubleParam minP;
    private final LongParam seed;
    private final LongParam step;
    private final IntParam ignoreIndex;
    private final DoubleParam labelSmoothing;
    private final Param<String> backend;
    private final IntParam threads;

    public SoftmaxTransformer() {
        this(Identifiable$.MODULE$.randomUID("softmaxcl"));
    }

    /** Spark's copy and persistence create instances through this constructor. */
    public SoftmaxTransformer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "array<float> column of logits, one row per row");
        outputCol = new Param<>(this, "outputCol", "column the result is written to");
        op = new Param<>(this, "op", "one of " + Op.names());
        temperature = new DoubleParam(this, "temperature", "logits are divided by it first (> 0; sample: >= 0)",
                ParamValidators.gtEq(0));
        maskCol = new Param<>(this, "maskCol", "masked-softmax: array column, non-zero keeps (null row: keep all)");
        targetCol = new Param<>(this, "targetCol", "cross-entropy: integer class column");
        batchSize = new IntParam(this, "batchSize", "rows per engine call (at most 16M values a batch)",
                ParamValidators.gtEq(1));
        k = new IntParam(this, "k", "top-k: how many; sample: top-k filter, 0 for none", ParamValidators.gtEq(0));
        topP = new DoubleParam(this, "topP", "sample: nucleus mass in (0, 1]", ParamValidators.inRange(0, 1, false, true));
        minP = new DoubleParam(this, "minP", "sample: min-p in [0, 1]", ParamValidators.inRange(0, 1));
        seed = new LongParam(this, "seed", "sample: generator key (mixed with the partition index)");
        step = new LongParam(this, "step", "sample: decoding step");
        ignoreIndex = new IntParam(this, "ignoreIndex", "cross-entropy: target whose loss is null");
        labelSmoothing = new DoubleParam(this, "labelSmoothing", "cross-entropy: epsilon in [0, 1]",
                ParamValidators.inRange(0, 1));
        backend = new Param<>(this, "backend", "auto | cpu | scalar | opencl; auto: the task's Spark GPU, else cpu");
        threads = new IntParam(this, "threads", "CPU threads of the executor's engine, 0 = all",
                ParamValidators.gtEq(0));
        setDefault(outputCol, uid + "__output");
        setDefault(op, "softmax");
        setDefault(temperature, 1.0);
        setDefault(batchSize, 512);
        setDefault(k, 0);
        setDefault(topP, 1.0);
        setDefault(minP, 0.0);
        setDefault(seed, 0L);
        setDefault(step, 0L);
        setDefault(ignoreIndex, -100);
        setDefault(labelSmoothing, 0.0);
        setDefault(backend, "auto");
        setDefault(threads, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark finds params through public no-argument methods returning a Param.
    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> op() { return op; }
    public DoubleParam temperature() { return temperature; }
    public Param<String> maskCol() { return maskCol; }
    public Param<String> targetCol() { return targetCol; }
    public IntParam batchSize() { return batchSize; }
    public IntParam k() { return k; }
    public DoubleParam topP() { return topP; }
    public DoubleParam minP() { return minP; }
    public LongParam seed() { return seed; }
    public LongParam step() { return step; }
    public IntParam ignoreIndex() { return ignoreIndex; }
    public DoubleParam labelSmoothing() { return labelSmoothing; }
    public Param<String> backend() { return backend; }
    public IntParam threads() { return threads; }

    public SoftmaxTransformer setInputCol(String v) { set(inputCol, v); return this; }
    public SoftmaxTransformer setOutputCol(String v) { set(outputCol, v); return this; }
    public SoftmaxTransformer setOp(String v) { Op.parse(v); set(op, v); return this; }
    public SoftmaxTransformer setTemperature(double v) { set(temperature, v); return this; }
    public SoftmaxTransformer setMaskCol(String v) { set(maskCol, v); return this; }
    public SoftmaxTransformer setTargetCol(String v) { set(targetCol, v); return this; }
    public SoftmaxTransformer setBatchSize(int v) { set(batchSize, v); return this; }
    public SoftmaxTransformer setK(int v) { set(k, v); return this; }
    public SoftmaxTransformer setTopP(double v) { set(topP, v); return this; }
    public SoftmaxTransformer setMinP(double v) { set(minP, v); return this; }
    public SoftmaxTransformer setSeed(long v) { set(seed, v); return this; }
    public SoftmaxTransformer setStep(long v) { set(step, v); return this; }
    public SoftmaxTransformer setIgnoreIndex(int v) { set(ignoreIndex, v); return this; }
    public SoftmaxTransformer setLabelSmoothing(double v) { set(labelSmoothing, v); return this; }
    public SoftmaxTransformer setBackend(String v) { set(backend, v); return this; }
    public SoftmaxTransformer setThreads(int v) { set(threads, v); return this; }

    public String getInputCol() { return getOrDefault(inputCol); }
    public String getOutputCol() { return getOrDefault(outputCol); }
    public String getOp() { return getOrDefault(op); }
    public double getTemperature() { return (Double) getOrDefault(temperature); }
    public int getBatchSize() { return (Integer) getOrDefault(batchSize); }

    @Override
    public StructType transformSchema(StructType schema) {
        Op o = Op.parse(getOp());
        StructField in = field(schema, "inputCol", getInputCol());
        boolean packed = in.dataType() == DataTypes.BinaryType;
        if (!packed && !(in.dataType() instanceof ArrayType a && a.elementType() == DataTypes.FloatType)) {
            throw new IllegalArgumentException("inputCol '" + in.name() + "' must be array<float> or binary (packed"
                    + " little-endian float32) (got " + in.dataType().simpleString() + ")");
        }
        if (o == Op.MASKED_SOFTMAX && isSet(maskCol)) {
            StructField m = field(schema, "maskCol", getOrDefault(maskCol));
            if (!(m.dataType() instanceof ArrayType ma && (ma.elementType() instanceof BooleanType
                    || ma.elementType() instanceof ByteType || ma.elementType() instanceof IntegerType))) {
                throw new IllegalArgumentException("maskCol '" + m.name() + "' must be array<boolean>, "
                        + "array<tinyint> or array<int> (got " + m.dataType().simpleString() + ")");
            }
        }
        if (o == Op.CROSS_ENTROPY) {
            if (!isSet(targetCol)) {
                throw new IllegalArgumentException("cross-entropy needs setTargetCol(...)");
            }
            StructField t = field(schema, "targetCol", getOrDefault(targetCol));
            DataType tt = t.dataType();
            if (!(tt == DataTypes.IntegerType || tt == DataTypes.LongType || tt == DataTypes.ShortType
                    || tt == DataTypes.ByteType)) {
                throw new IllegalArgumentException("targetCol '" + t.name() + "' must be an integer type (got "
                        + tt.simpleString() + ")");
            }
        }
        if (o == Op.TOP_K && (Integer) getOrDefault(k) < 1) {
            throw new IllegalArgumentException("top-k needs setK(k) with k >= 1");
        }
        if (o != Op.SAMPLE && !(getTemperature() > 0)) {
            throw new IllegalArgumentException("temperature must be > 0 for " + o.label + " (got "
                    + getTemperature() + "); 0 (greedy) is for sample");
        }
        if (Arrays.asList(schema.fieldNames()).contains(getOutputCol())) {
            throw new IllegalArgumentException("outputCol '" + getOutputCol() + "' already exists in the input");
        }
        return schema.add(getOutputCol(), packed && o.perElement() ? DataTypes.BinaryType : o.outputType(), true);
    }

    private static StructField field(StructType schema, String param, String name) {
        if (name == null) {
            throw new IllegalArgumentException(param + " is not set");
        }
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException(param + " '" + name + "' is not a column of the input (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        return schema.apply(name);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType inSchema = dataset.schema();
        StructType outSchema = transformSchema(inSchema);
        RunConfig cfg = config(inSchema);
        org.apache.spark.sql.classic.Dataset<?> classic = (org.apache.spark.sql.classic.Dataset<?>) dataset;
        // Internal rows: the logits move as primitive float arrays, never as boxed Row values.
        RDD<InternalRow> rows = classic.queryExecution().toRdd();
        FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> run = it -> new PartitionRunner(cfg, it);
        RDD<InternalRow> out = rows.toJavaRDD().mapPartitions(run).rdd();
        return classic.sparkSession().internalCreateDataFrame(out, outSchema, false);
    }

    private RunConfig config(StructType schema) {
        Op o = Op.parse(getOp());
        int mask = o == Op.MASKED_SOFTMAX && isSet(maskCol) ? schema.fieldIndex(getOrDefault(maskCol)) : -1;
        int target = o == Op.CROSS_ENTROPY ? schema.fieldIndex(getOrDefault(targetCol)) : -1;
        int in = schema.fieldIndex(getInputCol());
        boolean packed = schema.apply(in).dataType() == DataTypes.BinaryType;
        boolean nulls = !packed && ((ArrayType) schema.apply(in).dataType()).containsNull();
        int maskBytes = mask < 0 ? 0 : ((ArrayType) schema.apply(mask).dataType()).elementType().defaultSize();
        int targetBytes = target < 0 ? 0 : schema.apply(target).dataType().defaultSize();
        return new RunConfig(o, getInputCol(), in, packed, nulls, mask, maskBytes, target, targetBytes, (float) getTemperature(), getBatchSize(),
                (Integer) getOrDefault(k), (float) (double) (Double) getOrDefault(topP),
                (float) (double) (Double) getOrDefault(minP), (Long) getOrDefault(seed), (Long) getOrDefault(step),
                (Integer) getOrDefault(ignoreIndex), (float) (double) (Double) getOrDefault(labelSmoothing),
                getOrDefault(backend), (Integer) getOrDefault(threads));
    }

    @Override
    public SoftmaxTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
