package io.softmaxcl.internal.opencl;

import io.softmaxcl.Reference;
import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The auto-tuner measures once per device and shape class, remembers the result on disk, and can be off. */
class TuningCacheTest {

    @AfterEach
    void clear() {
        System.clearProperty(TuningCache.TUNE_PROPERTY);
        System.clearProperty(TuningCache.FILE_PROPERTY);
    }

    private static OpenClBackend open(Path file, String mode) {
        OpenClTestData.backend();
        System.setProperty(TuningCache.TUNE_PROPERTY, mode);
        System.setProperty(TuningCache.FILE_PROPERTY, file.toString());
        return (OpenClBackend) OpenClBackends.open(new EngineConfig(null, 0));
    }

    @Test
    void aTunedShapeClassIsWrittenToDiskAndObeyedByTheNextEngine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tuning.properties");
        int rows = 3;
        int cols = 70000;
        float[] x = OpenClTestData.batch(rows, cols, 4, true);
        float[] y = new float[x.length];
        try (OpenClBackend b = open(file, "on")) {
            b.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, "tuned call");
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        assertEquals(1, p.size(), p.toString());
        String key = p.stringPropertyNames().iterator().next();
        assertTrue(key.endsWith("|r4|c131072"), key);
        KernelPlan.Variant tuned = KernelPlan.Variant.parse(p.getProperty(key));
        assertNotNull(tuned);

        // A different variant written by hand for the class is what the next engine runs, for any shape in it.
        KernelPlan.Variant other = tuned == KernelPlan.Variant.ROW_PER_GROUP ? KernelPlan.Variant.ROW_PER_ITEM
                : KernelPlan.Variant.ROW_PER_GROUP;
        p.setProperty(key, other.name());
        try (var out = Files.newOutputStream(file)) {
            p.store(out, null);
        }
        try (OpenClBackend b = open(file, "on")) {
            assertEquals(other, b.plan(4, 100000).variant());
            b.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, "cached variant");
        }
        try (OpenClBackend b = open(file, "off")) {
            assertEquals(KernelPlan.choose(b.planDevice(), 4, 100000, null), b.plan(4, 100000), "tuning off");
        }
    }

    @Test
    void tuningTheFirstChunkOfAChunkedBatchStaysWithinTheChunk(@TempDir Path dir) {
        int rows = 30;
        int cols = 9000;
        float[] x = OpenClTestData.batch(rows, cols, 6, true);
        float[] y = new float[x.length];
        try (OpenClBackend b = open(dir.resolve("t.properties"), "on")) {
            b.setBudgetBytes(7L * (cols * 8L + 64));   // 7 rows per chunk
            b.forward(RowOp.LOG_SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
        }
        OpenClTestData.assertClose(Reference.logSoftmax(x, 0, rows, cols, 1.0), y, cols, 2e-5, 2e-5, "chunked, tuned");
    }
}
