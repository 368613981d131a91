package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An empty batch is an empty result, as torch.softmax of a (0, C) tensor; zero classes is a cross-entropy error. */
class RunCommandEmptyTest {

    @TempDir
    Path dir;

    private Path write(String name, int[] shape, float[] values) throws IOException {
        Path p = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Npy.writeFloats(ch, shape, values, NpyType.FLOAT32);
        }
        return p;
    }

    @Test
    void zeroRowsAndZeroColumnsGiveAnEmptyOutputOfTheSameShape() throws IOException {
        int k = 0;
        for (int[] shape : new int[][] {{0, 10}, {3, 0}, {0}}) {
            for (String op : new String[] {"softmax", "log-softmax", "masked-softmax"}) {
                Path in = write("in" + k + ".npy", shape, new float[0]);
                Path out = dir.resolve("out" + k++ + ".npy");
                Cli.Result r = Cli.run("run", "--backend", "cpu", "--op", op, "--in", in.toString(), "--out",
                        out.toString());
                assertEquals(0, r.code(), () -> op + " " + java.util.Arrays.toString(shape) + ": " + r.err());
                Npy.Floats y = Npy.readFloats(out, "test");
                assertArrayEquals(shape, y.shape(), op + " output shape");
                assertEquals(0, y.values().length);
            }
        }
    }

    @Test
    void crossEntropyOverZeroRowsIsNaNAndOverZeroClassesAnError() throws IOException {
        Path logits = write("l.npy", new int[] {0, 4}, new float[0]);
        Path targets = dir.resolve("t.npy");
        try (FileChannel ch = FileChannel.open(targets, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(Npy.header(NpyType.INT64, new int[] {0})));
        }
        Path out = dir.resolve("loss.npy");
        Cli.Result r = Cli.run("run", "--backend", "cpu", "--op", "cross-entropy", "--in", logits.toString(),
                "--targets", targets.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r::err);
        float[] loss = Npy.readFloats(out, "test").values();
        assertEquals(1, loss.length);
        assertTrue(Float.isNaN(loss[0]), "mean over no rows is NaN, as in PyTorch: " + loss[0]);

        Path noClasses = write("c.npy", new int[] {2, 0}, new float[0]);
        Cli.Result e = Cli.run("run", "--backend", "cpu", "--op", "cross-entropy", "--in", noClasses.toString(),
                "--targets", targets.toString(), "--out", dir.resolve("e.npy").toString());
        assertEquals(2, e.code(), e::err);
        assertTrue(e.err().contains("no classes"), e.err());
    }
}
