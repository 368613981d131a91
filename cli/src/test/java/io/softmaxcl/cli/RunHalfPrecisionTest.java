package io.softmaxcl.cli;

import io.softmaxcl.Backend;
import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.softmaxcl.cli.Cli.assertRelative;
import static io.softmaxcl.cli.Cli.assertUlps;
import static io.softmaxcl.cli.Cli.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code run} on float16 ({@code <f2}) and bfloat16-bits ({@code <u2}, {@code --dtype bf16}) files against
 * PyTorch 1.13's answers for the same half inputs (make_fixtures.py): its own CPU bfloat16 kernels, and for float16
 * the float32 softmax rounded once to float16. Half outputs within 1 ulp of the output type (PyTorch's bf16
 * log-softmax rounds an intermediate; ours is rounded once), NaN/±Inf at PyTorch's positions, on every backend.
 */
class RunHalfPrecisionTest {

    @TempDir
    Path dir;
    private int runs;

    static List<Backend> backends() {
        return TestBackends.all();
    }

    private Path run(Backend b, String... args) {
        if (b == Backend.OPENCL) {
            TestBackends.requireOpenCl();
        }
        Path out = dir.resolve("out" + runs++ + ".npy");
        List<String> all = new ArrayList<>(List.of("run", "--backend", b.id(), "--out", out.toString(), "--force"));
        all.addAll(List.of(args));
        Cli.Result r = Cli.run(all.toArray(String[]::new));
        assertEquals(0, r.code(), () -> "exit code; stderr: " + r.err());
        return out;
    }

    /**
     * Same half bit patterns up to 1 ulp (sign-magnitude neighbours) or {@code atol} (a float32-level error where
     * log-softmax cancels to 0); NaN where PyTorch has NaN; at least 90% of the non-NaN values exactly equal.
     */
    private static void assertWithinOneUlp(String expectedFixture, Path actual, NpyType type, double atol,
                                           String what) throws IOException {
        Npy.Shorts e = Npy.readShorts(fixture(expectedFixture), "test");
        Npy.Shorts a = Npy.readShorts(actual, "test");
        assertEquals(type, a.type(), what + ": dtype");
        assertArrayEquals(e.shape(), a.shape(), what + ": shape");
        int exp = type == NpyType.FLOAT16 ? 0x7c00 : 0x7f80;
        int exact = 0;
        int numbers = 0;
        for (int i = 0; i < e.values().length; i++) {
            int x = e.values()[i] & 0xffff;
            int y = a.values()[i] & 0xffff;
            boolean xNan = (x & 0x7fff) > exp;
            boolean yNan = (y & 0x7fff) > exp;
            boolean ok = xNan ? yNan : !yNan && (x == y || (x & 0x7fff) == 0 && (y & 0x7fff) == 0
                    || (x >>> 15) == (y >>> 15) && Math.abs((x & 0x7fff) - (y & 0x7fff)) <= 1
                    && (x & 0x7fff) != exp && (y & 0x7fff) != exp
                    || Math.abs(decode(type, x) - decode(type, y)) <= atol);
            if (!ok) {
                fail(what + ": element " + i + " (row " + i / e.shape()[1] + "): got 0x" + Integer.toHexString(y)
                        + ", PyTorch 0x" + Integer.toHexString(x));
            }
            exact += x == y ? 1 : 0;
            numbers += xNan ? 0 : 1;
        }
        int n = numbers;
        assertTrue(exact >= n * 9 / 10, what + ": only " + exact + " of " + n + " exactly equal");
    }

    private static float decode(NpyType type, int bits) {
        return type == NpyType.FLOAT16 ? io.softmaxcl.internal.HalfFloats.f16ToF32((short) bits)
                : io.softmaxcl.internal.HalfFloats.bf16ToF32((short) bits);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void bf16SoftmaxAndLogSoftmaxMatchPyTorchsBf16Kernels(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--dtype", "bf16", "--in", fixture("half_bf16_in").toString());
        assertWithinOneUlp("half_bf16_softmax", out, NpyType.UINT16, 0, "bf16 softmax on " + b);
        out = run(b, "--op", "log-softmax", "--dtype", "bf16", "--in", fixture("half_bf16_in").toString());
        // 1e-3: PyTorch's bf16 log-softmax kernel cancels near 0 (ours is the float64 answer rounded once)
        assertWithinOneUlp("half_bf16_log_softmax", out, NpyType.UINT16, 1e-3, "bf16 log-softmax on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void f16FilesGiveF16Outputs(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--in", fixture("half_f16_in").toString());
        assertWithinOneUlp("half_f16_softmax", out, NpyType.FLOAT16, 0, "f16 softmax on " + b);
        out = run(b, "--op", "log-softmax", "--dtype", "f16", "--in", fixture("half_f16_in").toString());
        assertWithinOneUlp("half_f16_log_softmax", out, NpyType.FLOAT16, 2.4e-7, "f16 log-softmax on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void outDtypeF32WritesFloat32FromHalfInput(Backend b) throws IOException {
        for (String type : new String[] {"bf16", "f16"}) {
            Path out = run(b, "--op", "softmax", "--dtype", type, "--out-dtype", "f32", "--in",
                    fixture("half_" + type + "_in").toString());
            Npy.Floats e = Npy.readFloats(fixture("half_" + type + "_softmax_f32"), "test");
            Npy.Floats a = Npy.readFloats(out, "test");
            assertEquals(NpyType.FLOAT32, a.type(), type + " → f32: dtype");
            assertArrayEquals(e.shape(), a.shape());
            assertRelative(e.values(), a.values(), e.shape()[1], 1e-5, 1e-7, type + " → f32 softmax on " + b);
        }
    }

    @Test
    void halfRoundTripsThroughEveryOtherOpAsFloat32RoundedOnce() throws IOException {
        // logsumexp of bf16 rows: float32 answer rounded once to bf16 (checked against the float32 run).
        Path half = run(Backend.CPU, "--op", "logsumexp", "--dtype", "bf16", "--in",
                fixture("half_bf16_in").toString());
        Path f32 = run(Backend.CPU, "--op", "logsumexp", "--dtype", "bf16", "--out-dtype", "f32", "--in",
                fixture("half_bf16_in").toString());
        Npy.Shorts h = Npy.readShorts(half, "test");
        float[] f = Npy.readFloats(f32, "test").values();
        assertEquals(NpyType.UINT16, h.type());
        for (int i = 0; i < f.length; i++) {
            assertEquals(io.softmaxcl.internal.HalfFloats.f32ToBf16(f[i]), h.values()[i], "row " + i);
        }
    }

    @Test
    void badDtypeCombinationsAreOneLine() throws IOException {
        String u2 = fixture("half_bf16_in").toString();
        String f2 = fixture("half_f16_in").toString();
        String f4 = fixture("softmax_in").toString();
        String[][] cases = {
            {"--in", u2},                                   // <u2 without --dtype bf16
            {"--in", f4, "--dtype", "bf16"},
            {"--in", u2, "--dtype", "f16"},
            {"--in", f2, "--dtype", "f32"},
            {"--in", f2, "--dtype", "f64"},
            {"--in", f2, "--out-dtype", "int8"},
        };
        String[] expected = {"--dtype bf16", "'<u2' file", "holds '<u2'", "holds '<f2'", "unknown --dtype",
            "unknown --out-dtype"};
        for (int c = 0; c < cases.length; c++) {
            Path out = dir.resolve("bad" + c + ".npy");
            List<String> args = new ArrayList<>(List.of("run", "--op", "softmax", "--backend", "cpu", "--out",
                    out.toString()));
            args.addAll(List.of(cases[c]));
            String line = Cli.assertUsageError(Cli.run(args.toArray(String[]::new)));
            assertTrue(line.contains(expected[c]), line);
            assertFalse(Files.exists(out), "no output on error");
        }
    }
}
