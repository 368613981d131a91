package io.softmaxcl.spark.bench;

import io.softmaxcl.spark.SoftmaxTransformer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.expr;

/**
 * Rows per second of {@link SoftmaxTransformer} against the same softmax written only in Spark SQL
 * ({@code array_max}, {@code aggregate}, {@code transform}), on the same generated {@code array<float>} rows, in
 * one run, rounds interleaved, medians. Each variant generates its rows afresh (no cache: the data would not fit),
 * so "generate only" is timed too and the report gives the ratio with and without it. The transformer also runs
 * on the same rows packed as little-endian float32 {@code binary}, against its {@code array<float>} time.
 *
 * <p>Arguments: {@code master rounds ROWSxCOLS...}, e.g. {@code local[2] 3 200000x1000 20000x32000}.
 */
public final class SqlVsTransformerBench {

    public static void main(String[] args) {
        String master = args.length > 0 ? args[0] : "local[2]";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> shapes = args.length > 2 ? Arrays.asList(args).subList(2, args.length)
                : List.of("200000x1000", "20000x32000");
        SparkSession spark = SparkSession.builder().master(master).appName("softmax-cl bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        System.out.println("shape | generate only s | transformer s | Spark SQL s | transformer rows/s | "
                + "SQL rows/s | ratio | ratio without generation");
        for (String shape : shapes) {
            int rows = Integer.parseInt(shape.split("x")[0]);
            int cols = Integer.parseInt(shape.split("x")[1]);
            int partitions = 4 * spark.sparkContext().defaultParallelism();
            List<Double> gen = new ArrayList<>();
            List<Double> ours = new ArrayList<>();
            List<Double> sql = new ArrayList<>();
            List<Double> genPacked = new ArrayList<>();
            List<Double> oursPacked = new ArrayList<>();
            run(sqlSoftmax(logits(spark, rows, cols, partitions)));   // warm-up: JIT, codegen, engine
            run(new SoftmaxTransformer().setInputCol("logits").setOutputCol("p")
                    .transform(logits(spark, rows, cols, partitions)).select("p"));
            for (int r = 0; r < rounds; r++) {
                gen.add(run(logits(spark, rows, cols, partitions)));
                ours.add(run(new SoftmaxTransformer().setInputCol("logits").setOutputCol("p")
                        .transform(logits(spark, rows, cols, partitions)).select("p")));
                sql.add(run(sqlSoftmax(logits(spark, rows, cols, partitions))));
                genPacked.add(run(packed(spark, rows, cols, partitions)));
                oursPacked.add(run(new SoftmaxTransformer().setInputCol("logits").setOutputCol("p")
                        .transform(packed(spark, rows, cols, partitions)).select("p")));
            }
            double g = median(gen);
            double o = median(ours);
            double s = median(sql);
            System.out.printf(Locale.ROOT, "%s | %.2f | %.2f | %.2f | %.0f | %.0f | %.1fx | %.1fx%n", shape, g, o, s,
                    rows / o, rows / s, s / o, (s - g) / Math.max(1e-9, o - g));
            System.out.println("  rounds: generate " + gen + ", transformer " + ours + ", SQL " + sql);
            double gp = median(genPacked);
            double op = median(oursPacked);
            System.out.printf(Locale.ROOT, "  packed binary (little-endian float32) in and out: generate %.2f s, "
                    + "transformer %.2f s, %.0f rows/s; array / packed time %.2fx, without generation %.2fx%n", gp,
                    op, rows / op, o / op, (o - g) / Math.max(1e-9, op - gp));
            System.out.println("  rounds: generate packed " + genPacked + ", transformer packed " + oursPacked);
        }
        spark.stop();
    }

    /** What a Spark user writes without softmax-cl: max, sum of exp, then divide, per array. */
    static Dataset<Row> sqlSoftmax(Dataset<Row> df) {
        // One expression: as separate columns, Spark's CollapseProject inlines m and s into the transform lambda
        // and recomputes them per element (O(cols²): 20000x1000 ran for minutes). Here the max is the
        // accumulator's start, the sum is accumulated once, and the finish lambda normalises.
        return df.select(expr("aggregate(logits, named_struct('m', array_max(logits), 's', 0D), "
                + "(acc, x) -> named_struct('m', acc.m, 's', acc.s + exp(x - acc.m)), "
                + "acc -> transform(logits, x -> cast(exp(x - acc.m) / acc.s as float)))").as("p"));
    }

    private static double run(Dataset<Row> df) {
        long t0 = System.nanoTime();
        df.write().format("noop").mode("overwrite").save();
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    static Dataset<Row> logits(SparkSession spark, int rows, int cols, int partitions) {
        return generate(spark, rows, cols, partitions, false);
    }

    /** The same rows as a binary column of little-endian float32, the packed form Arrow/Parquet hands over. */
    static Dataset<Row> packed(SparkSession spark, int rows, int cols, int partitions) {
        return generate(spark, rows, cols, partitions, true);
    }

    /** rows × cols logits in N(0, ~2)-ish range from a per-partition xorshift: cheap and deterministic. */
    private static Dataset<Row> generate(SparkSession spark, int rows, int cols, int partitions, boolean packed) {
        StructType schema = new StructType().add("logits", packed ? DataTypes.BinaryType
                : DataTypes.createArrayType(DataTypes.FloatType, false), false);
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            parts.add(p);
        }
        FlatMapFunction<Iterator<Integer>, InternalRow> gen = it -> {
            int p = it.next();
            int from = (int) ((long) p * rows / partitions);
            int to = (int) ((long) (p + 1) * rows / partitions);
            return new Iterator<>() {
                int r = from;
                long state = 0x9E3779B97F4A7C15L * (p + 1);
                final float[] x = new float[cols];

                public boolean hasNext() {
                    return r < to;
                }

                public InternalRow next() {
                    r++;
                    for (int j = 0; j < cols; j++) {
                        state ^= state << 13;
                        state ^= state >>> 7;
                        state ^= state << 17;
                        x[j] = (state >>> 40) * (8f / (1 << 24)) - 4f;
                    }
                    if (packed) {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * cols)
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        b.asFloatBuffer().put(x);
                        return new GenericInternalRow(new Object[] {b.array()});
                    }
                    return new GenericInternalRow(new Object[] {UnsafeArrayData.fromPrimitiveArray(x)});
                }
            };
        };
        RDD<InternalRow> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(parts, partitions).mapPartitions(gen).rdd();
        return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(rdd, schema, false);
    }
}
