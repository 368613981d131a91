package io.softmaxcl.spark;

import io.softmaxcl.Backend;
import io.softmaxcl.CrossEntropy;
import io.softmaxcl.Reference;
import io.softmaxcl.SoftmaxEngine;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transformer in local[2] mode against the library's own call on the same rows and the float64 reference:
 * 100k rows × 16 over 8 partitions (small columns keep it fast), then nulls, empty and ragged rows.
 */
class SoftmaxTransformerTest {

    static final int ROWS = 100_000;
    static final int COLS = 16;
    static final int PARTITIONS = 8;

    static SparkSession spark;
    static Dataset<Row> data;      // id, logits, target (every 7th ignored, every 11th null), mask
    static float[] logits;         // ROWS × COLS, row = id
    static int[] targets;          // -100 for ignored and null targets
    static byte[] mask;
    static SoftmaxEngine engine;

    @BeforeAll
    static void start() {
        spark = SparkSessions.local("SoftmaxTransformerTest");
        Random rnd = new Random(16);
        logits = new float[ROWS * COLS];
        targets = new int[ROWS];
        mask = new byte[ROWS * COLS];
        List<Row> rows = new ArrayList<>(ROWS);
        for (int r = 0; r < ROWS; r++) {
            float[] x = new float[COLS];
            boolean[] m = new boolean[COLS];
            for (int j = 0; j < COLS; j++) {
                float v = (float) (rnd.nextGaussian() * 4);
                logits[r * COLS + j] = v;
                x[j] = v;
                boolean keep = (r + j) % 5 != 0;
                mask[r * COLS + j] = (byte) (keep ? 1 : 0);
                m[j] = keep;
            }
            Integer t = r % 11 == 0 ? null : r % 7 == 0 ? -100 : rnd.nextInt(COLS);
            targets[r] = t == null ? -100 : t;
            rows.add(RowFactory.create((long) r, x, t, m));
        }
        StructType schema = new StructType()
                .add("id", DataTypes.LongType, false)
                .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add("target", DataTypes.IntegerType, true)
                .add("mask", DataTypes.createArrayType(DataTypes.BooleanType, false), true);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        data = spark.createDataFrame(jsc.parallelize(rows, PARTITIONS), schema).cache();
        assertEquals(ROWS, data.count());
        engine = SoftmaxEngine.create(Backend.CPU);
    }

    @AfterAll
    static void stop() {
        engine.close();
        spark.stop();
    }

    /** The output column, rows ordered by id, flattened. */
    private static float[] collectArrays(Dataset<Row> out, String column) {
        List<Row> rows = out.select("id", column).orderBy("id").collectAsList();
        float[] flat = new float[rows.size() * COLS];
        for (int r = 0; r < rows.size(); r++) {
            assertEquals(r, rows.get(r).getLong(0));
            List<Object> v = rows.get(r).getList(1);
            for (int j = 0; j < COLS; j++) {
                flat[r * COLS + j] = (Float) v.get(j);
            }
        }
        return flat;
    }

    /**
     * Calls {@code call(firstRow, rows)} on the batches the transformer makes: parallelize slices the rows evenly
     * into partitions, and each partition is cut into batches of {@code batch} rows (the CPU kernels' rounding may
     * depend on the batch, by an ulp, so equality is checked against the same calls).
     */
    private static void byBatches(int batch, java.util.function.BiConsumer<Integer, Integer> call) {
        for (int p = 0; p < PARTITIONS; p++) {
            int start = (int) ((long) p * ROWS / PARTITIONS);
            int end = (int) ((long) (p + 1) * ROWS / PARTITIONS);
            for (int r = start; r < end; r += batch) {
                call.accept(r, Math.min(batch, end - r));
            }
        }
    }

    /**
     * The library's own call on the same rows, to a few ulps (2e-6 relative): the JIT state changes the last bits
     * (Vector API exp is SVML once C2 compiles it, Math.exp per lane before); any wrong answer is far outside.
     */
    private static void assertNearlyEqual(float[] lib, float[] got, double abs) {
        assertEquals(lib.length, got.length);
        for (int i = 0; i < lib.length; i++) {
            if (!(Math.abs(lib[i] - got[i]) <= 2e-6 * Math.abs(lib[i]) + abs) && !(lib[i] == got[i])) {
                throw new AssertionError("element " + i + " (row " + i / COLS + "): library " + lib[i] + ", got "
                        + got[i]);
            }
        }
    }

    private static void assertClose(double[] expected, float[] actual, double rel, double abs) {
        for (int i = 0; i < expected.length; i++) {
            double tol = abs + rel * Math.abs(expected[i]);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError("element " + i + " (row " + i / COLS + "): expected " + expected[i]
                        + ", got " + actual[i]);
            }
        }
    }

    @Test
    void softmaxWithTemperatureEqualsTheLibraryAndTheReferenceOverManyPartitions() {
        Dataset<Row> out = new SoftmaxTransformer().setInputCol("logits").setOutputCol("p")
                .setOp("softmax").setTemperature(0.7).setBatchSize(1000).transform(data);
        assertEquals(PARTITIONS, out.rdd().getNumPartitions());
        float[] got = collectArrays(out, "p");
        float[] lib = new float[ROWS * COLS];
        byBatches(1000, (r, n) -> engine.softmax(logits, r * COLS, lib, r * COLS, n, COLS, 0.7f));
        assertNearlyEqual(lib, got, 1e-12);
        assertClose(Reference.softmax(logits, 0, ROWS, COLS, 1 / 0.7), got, 1e-5, 1e-7);
    }

    @Test
    void logSoftmaxEqualsTheLibraryAndTheReference() {
        float[] got = collectArrays(new SoftmaxTransformer().setInputCol("logits").setOutputCol("lp")
                .setOp("log-softmax").transform(data), "lp");
        float[] lib = new float[ROWS * COLS];
        byBatches(512, (r, n) -> engine.logSoftmax(logits, r * COLS, lib, r * COLS, n, COLS));
        assertNearlyEqual(lib, got, 1e-6);
        assertClose(Reference.logSoftmax(logits, 0, ROWS, COLS, 1), got, 1e-5, 1e-5);
    }

    @Test
    void maskedSoftmaxReadsTheMaskColumn() {
        float[] got = collectArrays(new SoftmaxTransformer().setInputCol("logits").setOutputCol("p")
                .setOp("masked-softmax").setMaskCol("mask").transform(data), "p");
        float[] lib = new float[ROWS * COLS];
        byBatches(512, (r, n) -> engine.maskedSoftmax(logits, r * COLS, mask, r * COLS, lib, r * COLS, n, COLS));
        assertNearlyEqual(lib, got, 1e-12);
        assertClose(Reference.maskedSoftmax(logits, mask, ROWS, COLS), got, 1e-5, 1e-7);
    }

    @Test
    void crossEntropyPerRowAndItsMeanByAnAggregation() {
        Dataset<Row> out = new SoftmaxTransformer().setInputCol("logits").setOutputCol("loss")
                .setOp("cross-entropy").setTargetCol("target").transform(data);
        List<Row> rows = out.select("id", "loss").orderBy("id").collectAsList();
        // Per row against the transformer's own batches: a partition's last rows short of a 16-row block take the
        // row path, whose lane sum is pairwise, while one call over all rows would give them the block path's sum.
        float[] lib = new float[ROWS];
        byBatches(512, (r, n) -> {
            float[] part = new float[n];
            engine.crossEntropy(logits, r * COLS, n, COLS, targets, r, CrossEntropy.defaults(), part);
            System.arraycopy(part, 0, lib, r, n);
        });
        float libMean = engine.crossEntropy(logits, 0, ROWS, COLS, targets, 0, CrossEntropy.defaults(),
                new float[ROWS]);
        double[] ref = Reference.crossEntropyRows(logits, targets, ROWS, COLS, -100, 0);
        double refSum = 0;
        int valid = 0;
        for (int r = 0; r < ROWS; r++) {
            if (targets[r] == -100) {
                assertTrue(rows.get(r).isNullAt(1), "row " + r + ": an ignored or null target gives a null loss");
                continue;
            }
            float loss = rows.get(r).getFloat(1);
            assertEquals(lib[r], loss, 1e-6 * Math.abs(lib[r]) + 1e-9, "row " + r);
            assertEquals(ref[r], loss, 1e-5 * Math.abs(ref[r]) + 1e-6, "row " + r);
            refSum += ref[r];
            valid++;
        }
        double mean = out.agg(avg(col("loss"))).first().getDouble(0);
        assertEquals(refSum / valid, mean, 1e-6 * (refSum / valid));
        assertEquals(libMean, mean, 1e-5 * mean);
    }

    @Test
    void temperatureAndLabelSmoothingReachLogSoftmaxAndCrossEntropy() {
        float t = 0.7f;
        float[] scaled = new float[ROWS * COLS];
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = logits[i] / t;
        }
        float[] lp = collectArrays(new SoftmaxTransformer().setInputCol("logits").setOutputCol("lp")
                .setOp("log-softmax").setTemperature(t).setBatchSize(3000).transform(data), "lp");
        assertClose(Reference.logSoftmax(logits, 0, ROWS, COLS, 1 / t), lp, 1e-5, 1e-5);
        List<Row> rows = new SoftmaxTransformer().setInputCol("logits").setOutputCol("loss").setOp("cross-entropy")
                .setTargetCol("target").setTemperature(t).setLabelSmoothing(0.1).transform(data)
                .select("id", "loss").orderBy("id").collectAsList();
        double[] ref = Reference.crossEntropyRows(scaled, targets, ROWS, COLS, -100, 0.1);
        for (int r = 0; r < ROWS; r++) {
            if (targets[r] == -100) {
                assertTrue(rows.get(r).isNullAt(1), "row " + r);
            } else {
                assertEquals(ref[r], rows.get(r).getFloat(1), 1e-5 * Math.abs(ref[r]) + 1e-6, "row " + r);
            }
        }
    }

    @Test
    void argmaxTopKAndGreedySampleEqualTheLibrary() {
        int[] lib = new int[ROWS];
        engine.argmax(logits, 0, ROWS, COLS, lib, 0);
        List<Row> am = new SoftmaxTransformer().setInputCol("logits").setOutputCol("t").setOp("argmax")
                .transform(data).select("id", "t").orderBy("id").collectAsList();
        List<Row> greedy = new SoftmaxTransformer().setInputCol("logits").setOutputCol("t").setOp("sample")
                .setTemperature(0).transform(data).select("id", "t").orderBy("id").collectAsList();
        int k = 3;
        float[] v = new float[ROWS * k];
        int[] ix = new int[ROWS * k];
        float[] p = new float[ROWS * k];
        engine.topK(logits, 0, ROWS, COLS, k, v, ix, p);
        double[] ref = Reference.softmax(logits, ROWS, COLS);
        List<Row> tk = new SoftmaxTransformer().setInputCol("logits").setOutputCol("top").setOp("top-k").setK(k)
                .transform(data).select("id", "top").orderBy("id").collectAsList();
        for (int r = 0; r < ROWS; r++) {
            assertEquals(lib[r], am.get(r).getInt(1), "argmax row " + r);
            assertEquals(lib[r], greedy.get(r).getInt(1), "greedy row " + r);
            Row top = tk.get(r).getStruct(1);
            for (int i = 0; i < k; i++) {
                assertEquals(ix[r * k + i], (Integer) top.getList(0).get(i), "top-k index, row " + r);
                assertEquals(v[r * k + i], (Float) top.getList(1).get(i), "top-k value, row " + r);
                // Within rounding: Vector API exp is SVML once C2 compiles it, Math.exp per lane before (1 ulp), and
                // p = exp(x - lse) with lse a float carries the ulps of lse (~2e-6 relative for lse ~ 16).
                assertEquals(p[r * k + i], (Float) top.getList(2).get(i), 1e-5 * p[r * k + i], "top-k prob, row " + r);
                double refP = ref[r * COLS + ix[r * k + i]];
                assertEquals(refP, (Float) top.getList(2).get(i), 1e-5 * refP + 1e-7, "top-k prob vs reference, row " + r);
            }
        }
    }

    @Test
    void seededSampleRepeatsAndStaysInTheTopK() {
        SoftmaxTransformer t = new SoftmaxTransformer().setInputCol("logits").setOutputCol("t").setOp("sample")
                .setTemperature(1.5).setK(4).setSeed(7);
        List<Row> a = t.transform(data).select("id", "t").orderBy("id").collectAsList();
        List<Row> b = t.transform(data).select("id", "t").orderBy("id").collectAsList();
        assertEquals(a, b);
        int[] idx = new int[ROWS * 4];
        engine.topK(logits, 0, ROWS, COLS, 4, new float[ROWS * 4], idx, null);
        int notArgmax = 0;
        for (int r = 0; r < ROWS; r++) {
            int tok = a.get(r).getInt(1);
            int[] allowed = Arrays.copyOfRange(idx, r * 4, r * 4 + 4);
            assertTrue(Arrays.stream(allowed).anyMatch(x -> x == tok), "row " + r + ": " + tok + " not in top-4");
            notArgmax += tok == allowed[0] ? 0 : 1;
        }
        assertTrue(notArgmax > ROWS / 10, "sampling at T = 1.5 should often differ from argmax: " + notArgmax);
    }

    private static Dataset<Row> small(Object[][] logitRows, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < logitRows.length; i++) {
            Object[] r = logitRows[i];
            rows.add(RowFactory.create((long) i, r == null ? null
                    : scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(r)).toSeq(), i % 2));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("logits", DataTypes.createArrayType(DataTypes.FloatType, true), true)
                .add("target", DataTypes.IntegerType);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, partitions), schema);
    }

    @Test
    void nullRowsGiveNullAndEmptyRowsGiveEmptyArraysOrNull() {
        Dataset<Row> df = small(new Object[][] {{1f, 2f, 3f}, null, {}, {0f, 0f, 0f}}, 1);
        List<Row> p = new SoftmaxTransformer().setInputCol("logits").setOutputCol("p").transform(df)
                .orderBy("id").collectAsList();
        double[] ref = Reference.softmax(new float[] {1, 2, 3}, 1, 3);
        for (int j = 0; j < 3; j++) {
            assertEquals(ref[j], (Float) p.get(0).getList(3).get(j), 1e-6);
            assertEquals(1 / 3.0, (Float) p.get(3).getList(3).get(j), 1e-6);
        }
        assertTrue(p.get(1).isNullAt(3));
        assertEquals(List.of(), p.get(2).getList(3));
        List<Row> loss = new SoftmaxTransformer().setInputCol("logits").setOutputCol("loss").setOp("cross-entropy")
                .setTargetCol("target").transform(df).orderBy("id").collectAsList();
        assertEquals(Reference.crossEntropyRows(new float[] {1, 2, 3}, new int[] {0}, 1, 3, -100, 0)[0],
                loss.get(0).getFloat(3), 1e-6);
        assertTrue(loss.get(1).isNullAt(3));
        assertTrue(loss.get(2).isNullAt(3), "no classes: no loss");
        assertEquals(Math.log(3), loss.get(3).getFloat(3), 1e-6);
    }

    /** id, the logits packed as little-endian float32 (what Arrow/Parquet binary gives a user), target. */
    private static Dataset<Row> packed() {
        List<Row> rows = new ArrayList<>(ROWS);
        for (int r = 0; r < ROWS; r++) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * COLS).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(logits, r * COLS, COLS);
            rows.add(RowFactory.create((long) r, b.array(), targets[r] == -100 ? null : targets[r]));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("packed", DataTypes.BinaryType, true).add("target", DataTypes.IntegerType, true);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, PARTITIONS), schema);
    }

    @Test
    void packedBinaryLogitsGiveTheSameSoftmaxLossAndArgmaxAsArrays() {
        Dataset<Row> in = packed();
        List<Row> rows = new SoftmaxTransformer().setInputCol("packed").setOutputCol("p").setOp("softmax")
                .setTemperature(0.7).setBatchSize(1000).transform(in).select("id", "p").orderBy("id").collectAsList();
        assertEquals(DataTypes.BinaryType, new SoftmaxTransformer().setInputCol("packed").setOutputCol("p")
                .transformSchema(in.schema()).apply("p").dataType(), "packed in, packed out");
        float[] got = new float[ROWS * COLS];
        for (int r = 0; r < ROWS; r++) {
            byte[] b = (byte[]) rows.get(r).get(1);
            assertEquals(4 * COLS, b.length);
            java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got, r * COLS,
                    COLS);
        }
        float[] lib = new float[ROWS * COLS];
        byBatches(1000, (r, n) -> engine.softmax(logits, r * COLS, lib, r * COLS, n, COLS, 0.7f));
        assertNearlyEqual(lib, got, 1e-12);
        assertClose(Reference.softmax(logits, 0, ROWS, COLS, 1 / 0.7), got, 1e-5, 1e-7);

        List<Row> loss = new SoftmaxTransformer().setInputCol("packed").setOutputCol("loss").setOp("cross-entropy")
                .setTargetCol("target").transform(in).select("id", "loss").orderBy("id").collectAsList();
        double[] want = Reference.crossEntropyRows(logits, targets, ROWS, COLS, -100, 0);
        for (int r = 0; r < ROWS; r++) {
            if (targets[r] == -100) {
                assertTrue(loss.get(r).isNullAt(1), "row " + r);
            } else {
                assertEquals(want[r], loss.get(r).getFloat(1), 1e-5 * Math.abs(want[r]) + 1e-6, "row " + r);
            }
        }
    }

    @Test
    void packedLogitsOfAWrongByteLengthFailNamingTheRow() {
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("packed", DataTypes.BinaryType, true);
        Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(0L, new byte[8]),
                RowFactory.create(1L, new byte[6])), schema).coalesce(1);
        SparkException e = assertThrows(SparkException.class, () -> new SoftmaxTransformer().setInputCol("packed")
                .setOutputCol("p").transform(df).collectAsList());
        assertTrue(rootMessage(e).contains("column 'packed': row 1 of partition 0 has 6 bytes, not a whole number"
                + " of float32 values"), rootMessage(e));
    }

    @Test
    void raggedRowsFailNamingTheRow() {
        Dataset<Row> df = small(new Object[][] {{1f, 2f, 3f}, null, {1f, 2f}}, 1);
        SparkException e = assertThrows(SparkException.class, () -> new SoftmaxTransformer().setInputCol("logits")
                .setOutputCol("p").transform(df).collectAsList());
        assertTrue(rootMessage(e).contains("column 'logits': row 2 of partition 0 has 2 values but row 0 has 3"),
                rootMessage(e));
    }

    @Test
    void aNullMaskKeepsEverythingAndAMaskOfAnotherLengthFailsNamingTheRow() {
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create(0L, new float[] {1, 2, 3}, new boolean[] {true, false, true}));
        rows.add(RowFactory.create(1L, new float[] {1, 2, 3}, null));
        rows.add(RowFactory.create(2L, new float[] {1, 2, 3}, new boolean[] {true, false}));
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("mask", DataTypes.createArrayType(DataTypes.BooleanType, false));
        Dataset<Row> df = spark.createDataFrame(rows, schema);
        SoftmaxTransformer t = new SoftmaxTransformer().setInputCol("logits").setOutputCol("p")
                .setOp("masked-softmax").setMaskCol("mask");
        List<Row> ok = t.transform(df.filter("id < 2")).orderBy("id").collectAsList();
        double[] kept = Reference.softmax(new float[] {1, 3}, 1, 2);
        double[] all = Reference.softmax(new float[] {1, 2, 3}, 1, 3);
        List<Object> p0 = ok.get(0).getList(3);
        List<Object> p1 = ok.get(1).getList(3);
        assertEquals(kept[0], (Float) p0.get(0), 1e-6);
        assertEquals(0f, (Float) p0.get(1));
        assertEquals(kept[1], (Float) p0.get(2), 1e-6);
        for (int j = 0; j < 3; j++) {
            assertEquals(all[j], (Float) p1.get(j), 1e-6, "a null mask keeps every class");
        }
        SparkException e = assertThrows(SparkException.class, () -> t.transform(df).collectAsList());
        assertTrue(rootMessage(e).contains("mask column: row "), rootMessage(e));
        assertTrue(rootMessage(e).contains("has 2 values but its logits have 3"), rootMessage(e));
    }

    @Test
    void aBatchSizeBelowOneIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SoftmaxTransformer().setBatchSize(0));
    }

    @Test
    void aNullInsideARowFailsNamingRowAndIndex() {
        Dataset<Row> df = small(new Object[][] {{1f, 2f}, {1f, null}}, 1);
        SparkException e = assertThrows(SparkException.class, () -> new SoftmaxTransformer().setInputCol("logits")
                .setOutputCol("p").transform(df).collectAsList());
        assertTrue(rootMessage(e).contains("row 1 of partition 0 has a null at index 1"), rootMessage(e));
    }

    @Test
    void badSchemasAndParamsFailOnTheDriverNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxTransformer()
                .setInputCol("id").setOutputCol("p").transform(data));
        assertTrue(e.getMessage().contains("inputCol 'id' must be array<float> or binary (packed little-endian"
                + " float32) (got bigint)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxTransformer().setInputCol("nope")
                .transform(data));
        assertTrue(e.getMessage().contains("inputCol 'nope' is not a column"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxTransformer().setOp("softmin"));
        assertTrue(e.getMessage().contains("op must be one of softmax, log-softmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxTransformer().setInputCol("logits")
                .setOp("cross-entropy").transform(data));
        assertTrue(e.getMessage().contains("cross-entropy needs setTargetCol"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxTransformer().setInputCol("logits")
                .setOutputCol("target").transform(data));
        assertTrue(e.getMessage().contains("outputCol 'target' already exists"), e.getMessage());
    }

    @Test
    void anOutOfRangeTargetFailsNamingTheRow() {
        Dataset<Row> df = small(new Object[][] {{1f, 2f}, {1f, 2f}}, 1).withColumn("target", col("id").plus(1));
        SparkException e = assertThrows(SparkException.class, () -> new SoftmaxTransformer().setInputCol("logits")
                .setOutputCol("l").setOp("cross-entropy").setTargetCol("target").transform(df).collectAsList());
        assertTrue(rootMessage(e).contains("row 1 of partition 0 has target 2, outside [0, 2)"), rootMessage(e));
    }

    @Test
    void aGpuAddressThatCannotBeOpenedFallsBackToTheCpu() {
        // No OpenCL GPU here (PoCL is a CPU device; the CI step without OpenCL has none at all).
        try (SoftmaxEngine e = Engines.openGpu("0", 1)) {
            assertEquals(Backend.CPU, e.backend());
        }
    }

    private static String rootMessage(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }
}
