package io.softmaxcl.spark.example;

import io.softmaxcl.Reference;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's example job end to end in local[2]: its Parquet output against the float64 reference. */
class LossJobTest {

    @Test
    void writesEachRowsLossAndLogProbabilities(@TempDir Path dir) {
        String in = dir.resolve("in.parquet").toString();
        String out = dir.resolve("out.parquet").toString();
        LossJob.main(new String[] {in, out, "--generate", "300", "8", "--partitions", "3", "--temperature", "0.5"});
        SparkSession spark = SparkSession.builder().master("local[2]").appName("LossJobTest")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        try {
            Map<Long, Row> input = new HashMap<>();
            for (Row r : spark.read().parquet(in).collectAsList()) {
                input.put(r.getLong(r.fieldIndex("id")), r);
            }
            List<Row> rows = spark.read().parquet(out).collectAsList();
            assertEquals(300, rows.size());
            assertEquals(300, input.size());
            int ignored = 0;
            for (Row r : rows) {
                long id = r.getLong(r.fieldIndex("id"));
                List<Object> xs = input.get(id).getList(input.get(id).fieldIndex("logits"));
                float[] x = new float[8];
                for (int j = 0; j < 8; j++) {
                    x[j] = (Float) xs.get(j) / 0.5f;
                }
                double[] logp = Reference.logSoftmax(x, 0, 1, 8, 1);
                List<Object> got = r.getList(r.fieldIndex("logp"));
                for (int j = 0; j < 8; j++) {
                    assertEquals(logp[j], (Float) got.get(j), 1e-5 * Math.abs(logp[j]) + 1e-5, "row " + id);
                }
                int t = r.getInt(r.fieldIndex("target"));
                if (t == -100) {
                    assertTrue(r.isNullAt(r.fieldIndex("loss")), "row " + id + ": ignored target, null loss");
                    ignored++;
                } else {
                    assertEquals(-logp[t], r.getFloat(r.fieldIndex("loss")), 1e-5 * -logp[t] + 1e-6, "row " + id);
                }
            }
            assertEquals(30, ignored);
        } finally {
            spark.stop();
        }
    }
}
