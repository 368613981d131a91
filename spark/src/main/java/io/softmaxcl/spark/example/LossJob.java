package io.softmaxcl.spark.example;

import io.softmaxcl.spark.SoftmaxTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;

/**
 * Example job: reads {@code logits: array<float>} and {@code target: int} rows from Parquet and writes each row's
 * cross-entropy {@code loss} and {@code logp} (log-probabilities) to Parquet, then prints the mean loss.
 *
 * <pre>
 * LossJob IN.parquet OUT.parquet [--generate ROWS COLS] [--temperature T] [--batch-size N] [--partitions P]
 * </pre>
 *
 * <p>{@code --generate} first writes ROWS random rows of COLS logits (and a target, every 10th ignored: -100) to
 * IN. The master is spark-submit's {@code --master}; without one (plain {@code java}) it is {@code local[2]}.
 */
public final class LossJob {

    private LossJob() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: LossJob IN.parquet OUT.parquet [--generate ROWS COLS] [--temperature T]"
                    + " [--batch-size N] [--partitions P]");
            System.exit(2);
        }
        String in = args[0];
        String out = args[1];
        long genRows = 0;
        int genCols = 0;
        double temperature = 1.0;
        int batchSize = 512;
        int partitions = 0;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--generate" -> {
                    genRows = Long.parseLong(args[++i]);
                    genCols = Integer.parseInt(args[++i]);
                }
                case "--temperature" -> temperature = Double.parseDouble(args[++i]);
                case "--batch-size" -> batchSize = Integer.parseInt(args[++i]);
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        SparkSession.Builder b = SparkSession.builder().appName("softmax-cl LossJob");
        if (System.getProperty("spark.master") == null) {   // spark-submit sets it; plain java runs locally
            b.master("local[2]").config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1");
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            if (genRows > 0) {
                generate(spark, genRows, genCols, partitions).write().mode("overwrite").parquet(in);
                System.out.printf(Locale.ROOT, "LossJob: wrote %d rows x %d logits to %s%n", genRows, genCols, in);
            }
            long t0 = System.nanoTime();
            Dataset<Row> rows = spark.read().parquet(in);
            if (partitions > 0) {
                rows = rows.repartition(partitions);
            }
            Dataset<Row> withLoss = new SoftmaxTransformer().setInputCol("logits").setOutputCol("loss")
                    .setOp("cross-entropy").setTargetCol("target").setTemperature(temperature)
                    .setBatchSize(batchSize).transform(rows);
            Dataset<Row> result = new SoftmaxTransformer().setInputCol("logits").setOutputCol("logp")
                    .setOp("log-softmax").setTemperature(temperature).setBatchSize(batchSize).transform(withLoss)
                    .drop("logits");
            result.write().mode("overwrite").parquet(out);
            double s = (System.nanoTime() - t0) / 1e9;
            Row mean = spark.read().parquet(out).agg(avg(col("loss")), count(col("loss")), count(expr("1"))).first();
            System.out.printf(Locale.ROOT, "LossJob: %s -> %s: %d rows (%d with a loss) in %.1f s; mean loss %.6f%n",
                    in, out, mean.getLong(2), mean.getLong(1), s, mean.isNullAt(0) ? Double.NaN : mean.getDouble(0));
        } finally {
            spark.stop();
        }
    }

    /** ROWS rows {@code id, logits, target} from Spark's hash: logits uniform in [-4, 4), targets uniform. */
    static Dataset<Row> generate(SparkSession spark, long rows, int cols, int partitions) {
        int p = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
        return spark.range(0, rows, 1, p).selectExpr("id",
                "transform(sequence(1, " + cols + "), j -> cast(hash(id, j) / 536870912.0 as float)) as logits",
                "case when id % 10 = 0 then -100 else cast(pmod(hash(id), " + cols + ") as int) end as target");
    }
}
