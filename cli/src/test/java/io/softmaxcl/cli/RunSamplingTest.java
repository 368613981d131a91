package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run --op argmax|sample|top-k|logsumexp|entropy}: file formats, hand-checked values, bad parameters. */
class RunSamplingTest {

    @TempDir
    Path dir;

    private static final float[] X = {0, 3, 1, 3, /**/ 2, -1, 0.5f, 1};

    private Path input() throws IOException {
        Path in = dir.resolve("x.npy");
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Npy.writeFloats(ch, new int[] {2, 4}, X, NpyType.FLOAT32);
        }
        return in;
    }

    /** The int64 values and the header of a .npy written by the CLI. */
    private static long[] longs(Path p, String expectDescrAndShape) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = b.getShort(8) & 0xFFFF;
        String header = new String(b.array(), 10, headerLen, StandardCharsets.ISO_8859_1);
        assertTrue(header.contains(expectDescrAndShape), header);
        b.position(10 + headerLen);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    @Test
    void argmaxWritesInt64Tokens() throws IOException {
        Path out = dir.resolve("t.npy");
        assertEquals(0, Cli.run("run", "--op", "argmax", "--backend", "cpu", "--in", input().toString(),
                "--out", out.toString()).code());
        assertArrayEquals(new long[] {1, 0}, longs(out, "'descr': '<i8', 'fortran_order': False, 'shape': (2,)"));
    }

    @Test
    void sampleWithTopOneIsTheArgmaxAndSeedsAreReproducible() throws IOException {
        Path in = input();
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        String[] args = {"run", "--op", "sample", "--backend", "cpu", "--temperature", "0.9", "--top-k", "1",
            "--seed", "3", "--in", in.toString(), "--out", ""};
        args[args.length - 1] = a.toString();
        assertEquals(0, Cli.run(args).code());
        args[args.length - 1] = b.toString();
        args[4] = "scalar";
        assertEquals(0, Cli.run(args).code());
        // top-k = 1 keeps both tied 3s of row 0 (ties at the cut-off are kept) and only the 2 of row 1.
        long[] t = longs(a, "(2,)");
        assertTrue(t[0] == 1 || t[0] == 3, "row 0 token " + t[0]);
        assertEquals(0, t[1]);
        assertArrayEquals(t, longs(b, "(2,)"), "same seed, cpu and scalar");
    }

    @Test
    void topKWritesValuesAndIndices() throws IOException {
        Path v = dir.resolve("v.npy");
        Path i = dir.resolve("i.npy");
        assertEquals(0, Cli.run("run", "--op", "top-k", "--k", "2", "--backend", "cpu", "--in", input().toString(),
                "--out", v.toString(), "--indices-out", i.toString()).code());
        assertArrayEquals(new float[] {3, 3, 2, 1}, Cli.floats(v));
        assertArrayEquals(new long[] {1, 3, 0, 3}, longs(i, "(2, 2)")); // column indices, ties → lowest first
    }

    @Test
    void logSumExpAndEntropyPerRow() throws IOException {
        Path l = dir.resolve("l.npy");
        Path h = dir.resolve("h.npy");
        Path in = input();
        assertEquals(0, Cli.run("run", "--op", "logsumexp", "--backend", "cpu", "--in", in.toString(), "--out",
                l.toString()).code());
        assertEquals(0, Cli.run("run", "--op", "entropy", "--backend", "cpu", "--in", in.toString(), "--out",
                h.toString()).code());
        double s0 = 1 + 2 * Math.exp(3) + Math.exp(1);
        float[] lse = Cli.floats(l);
        assertEquals(Math.log(s0), lse[0], 1e-6);
        double hRef = 0;
        for (int j = 0; j < 4; j++) {
            double p = Math.exp(X[j]) / s0;
            hRef -= p * Math.log(p);
        }
        assertEquals(hRef, Cli.floats(h)[0], 1e-6);
    }

    @Test
    void badParametersGetOneLineAndExitTwo() throws IOException {
        String in = input().toString();
        String out = dir.resolve("o.npy").toString();
        String[][] bad = {
            {"--op", "sample", "--top-p", "0"},
            {"--op", "sample", "--top-p", "1.5"},
            {"--op", "sample", "--top-k", "0"},
            {"--op", "sample", "--temperature", "-1"},
            {"--op", "sample", "--min-p", "2"},
            {"--op", "argmax", "--top-k", "5"},
            {"--op", "top-k", "--k", "0", "--indices-out", dir.resolve("i.npy").toString()},
            {"--op", "top-k", "--k", "5", "--indices-out", dir.resolve("i.npy").toString()},
            {"--op", "top-k", "--k", "2"},
        };
        for (String[] extra : bad) {
            String[] args = new String[extra.length + 7];
            System.arraycopy(new String[] {"run", "--backend", "cpu", "--in", in, "--out", out}, 0, args, 0, 7);
            System.arraycopy(extra, 0, args, 7, extra.length);
            Cli.assertUsageError(Cli.run(args));
            assertFalse(Files.exists(Path.of(out)), "no output for " + String.join(" ", extra));
        }
        Path nan = dir.resolve("nan.npy");
        try (FileChannel ch = FileChannel.open(nan, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Npy.writeFloats(ch, new int[] {2, 2}, new float[] {1, 2, Float.NaN, Float.NaN}, NpyType.FLOAT32);
        }
        String line = Cli.assertUsageError(Cli.run("run", "--op", "sample", "--backend", "cpu", "--in",
                nan.toString(), "--out", out));
        assertTrue(line.contains("row 1"), line);
    }
}
