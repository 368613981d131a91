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

import static io.softmaxcl.cli.Cli.assertUlps;
import static io.softmaxcl.cli.Cli.fixture;
import static io.softmaxcl.cli.Cli.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code run} against outputs PyTorch 1.13 computed in float32 (src/test/resources/fixtures/make_fixtures.py), on
 * every backend: finite values within a few float32 ulps, NaN and ±Inf at exactly PyTorch's positions.
 */
class RunCommandFixtureTest {

    /** Element-wise results: a few ulps, plus an absolute floor for values that are tiny next to the row's sum. */
    private static final int ULPS = 8;
    private static final double ATOL = 1e-7;

    @TempDir
    Path dir;

    static List<Backend> backends() {
        return TestBackends.all();
    }

    /** Runs {@code run} with {@code --backend b} and returns the output file; OpenCL skips (or fails under CI). */
    private Path run(Backend b, String... args) {
        if (b == Backend.OPENCL) {
            TestBackends.requireOpenCl();
        }
        Path out = dir.resolve("out.npy");
        List<String> all = new ArrayList<>(List.of("run", "--backend", b.id(), "--out", out.toString()));
        all.addAll(List.of(args));
        Cli.Result r = Cli.run(all.toArray(String[]::new));
        assertEquals(0, r.code(), () -> "exit code; stderr: " + r.err());
        assertEquals("", r.out(), "nothing on stdout");
        return out;
    }

    private static void assertMatches(String expectedFixture, Path actual, int cols, String what) throws IOException {
        Npy.Floats e = Npy.readFloats(fixture(expectedFixture), "test");
        Npy.Floats a = Npy.readFloats(actual, "test");
        assertArrayEquals(e.shape(), a.shape(), what + ": shape");
        assertEquals(NpyType.FLOAT32, a.type(), what + ": dtype");
        assertUlps(e.values(), a.values(), cols, ULPS, ATOL, what);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxMatchesPyTorchIncludingNanAndInfRows(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--in", fixture("softmax_in").toString());
        assertMatches("softmax_out", out, 7, "softmax on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void logSoftmaxMatchesPyTorch(Backend b) throws IOException {
        Path out = run(b, "--op", "log-softmax", "--in", fixture("softmax_in").toString());
        assertMatches("log_softmax_out", out, 7, "log-softmax on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void temperatureDividesTheLogits(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--temperature", "2", "--in", fixture("softmax_in").toString());
        assertMatches("softmax_t2_out", out, 7, "softmax T=2 on " + b);
        Files.delete(out);
        out = run(b, "--op", "log-softmax", "--temperature", "2", "--in", fixture("softmax_in").toString());
        assertMatches("log_softmax_t2_out", out, 7, "log-softmax T=2 on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void maskedSoftmaxGivesZerosForFullyMaskedRows(Backend b) throws IOException {
        Path out = run(b, "--op", "masked-softmax", "--in", fixture("masked_in").toString(),
                "--mask", fixture("masked_mask").toString());
        assertMatches("masked_out", out, 5, "masked softmax (bool mask) on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void maskedSoftmaxAcceptsAnyNonZeroByteAsKeep(Backend b) throws IOException {
        Path out = run(b, "--op", "masked-softmax", "--in", fixture("masked_in").toString(),
                "--mask", fixture("masked_mask_u1").toString());
        assertMatches("masked_out", out, 5, "masked softmax (uint8 mask) on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void oneDimensionalInputIsOneRowAndStaysOneDimensional(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--in", fixture("row_in").toString());
        assertMatches("row_softmax_out", out, 3, "1-D softmax on " + b);
        // The worked example, independently of the fixture.
        assertUlps(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, floats(out), 3, 2, 0, "softmax [1, 2, 3]");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void float64InputGivesFloat64Output(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--in", fixture("numpy_f8").toString());
        Npy.Floats a = Npy.readFloats(out, "test");
        assertEquals(NpyType.FLOAT64, a.type());
        assertArrayEquals(new int[] {3, 4}, a.shape());
        assertUlps(floats(fixture("numpy_f4_softmax")), a.values(), 4, ULPS, ATOL, "f8 softmax on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void fortranOrderInputIsReadAsTheSameMatrix(Backend b) throws IOException {
        Path out = run(b, "--op", "softmax", "--in", fixture("numpy_fortran_f4").toString());
        assertMatches("numpy_f4_softmax", out, 4, "Fortran-order softmax on " + b);
    }

    static List<Object[]> crossEntropyCases() {
        List<Object[]> cases = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            for (String reduction : List.of("none", "mean", "sum")) {
                cases.add(new Object[] {b, reduction, false});
                cases.add(new Object[] {b, reduction, true});
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} reduction={1} labelSmoothing={2}")
    @MethodSource("crossEntropyCases")
    void crossEntropyLossAndGradientMatchPyTorch(Backend b, String reduction, boolean smoothing) throws IOException {
        Path grad = dir.resolve("grad.npy");
        List<String> args = new ArrayList<>(List.of("--op", "cross-entropy", "--in", fixture("ce_logits").toString(),
                "--targets", fixture("ce_targets").toString(), "--reduction", reduction,
                "--grad-out", grad.toString()));
        if (smoothing) {
            args.addAll(List.of("--label-smoothing", "0.1"));
        }
        Path loss = run(b, args.toArray(String[]::new));
        String tag = smoothing ? "ce_ls" : "ce";
        // Reductions add up to eight rows: allow a few more ulps than element-wise results.
        Npy.Floats e = Npy.readFloats(fixture(tag + "_loss_" + reduction), "test");
        Npy.Floats a = Npy.readFloats(loss, "test");
        assertArrayEquals(e.shape(), a.shape(), "loss shape");
        assertUlps(e.values(), a.values(), 1, 16, 1e-7, tag + " loss " + reduction + " on " + b);
        assertMatches(tag + "_grad_" + reduction, grad, 11, tag + " gradient " + reduction + " on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyHonoursACustomIgnoreIndexWithInt32Targets(Backend b) throws IOException {
        Path grad = dir.resolve("grad.npy");
        Path loss = run(b, "--op", "cross-entropy", "--in", fixture("ce_logits").toString(),
                "--targets", fixture("ce_ig3_targets_i4").toString(), "--ignore-index", "3",
                "--grad-out", grad.toString());
        assertUlps(floats(fixture("ce_ig3_loss_mean")), floats(loss), 1, 16, 1e-7, "loss, ignore_index 3 on " + b);
        assertMatches("ce_ig3_grad_mean", grad, 11, "gradient, ignore_index 3 on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyMeanOverOnlyIgnoredRowsIsNanWithZeroGradient(Backend b) throws IOException {
        Path grad = dir.resolve("grad.npy");
        Path loss = run(b, "--op", "cross-entropy", "--in", fixture("ce_all_ignored_logits").toString(),
                "--targets", fixture("ce_all_ignored_targets").toString(), "--grad-out", grad.toString());
        assertUlps(floats(fixture("ce_all_ignored_loss_mean")), floats(loss), 1, 0, 0, "NaN loss on " + b);
        assertMatches("ce_all_ignored_grad_mean", grad, 11, "zero gradient on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyOfOneRowGivesAScalarLossAndA1dGradient(Backend b) throws IOException {
        Path grad = dir.resolve("grad.npy");
        Path loss = run(b, "--op", "cross-entropy", "--reduction", "none", "--in",
                fixture("ce_row_logits").toString(), "--targets", fixture("ce_row_target").toString(),
                "--grad-out", grad.toString());
        Npy.Floats l = Npy.readFloats(loss, "test");
        assertArrayEquals(new int[0], l.shape(), "0-d loss, as PyTorch returns for unbatched input");
        assertUlps(floats(fixture("ce_row_loss_none")), l.values(), 1, 16, 1e-7, "one-row loss on " + b);
        assertMatches("ce_row_grad_none", grad, 11, "one-row gradient on " + b);
    }

    @Test
    void autoBackendRunsAndSaysWhereOnlyWhenVerbose() throws IOException {
        Path out = dir.resolve("auto.npy");
        Cli.Result quiet = Cli.run("run", "--op", "softmax", "--in", fixture("softmax_in").toString(),
                "--out", out.toString());
        assertEquals(0, quiet.code(), quiet.err());
        assertEquals("", quiet.err(), "nothing on stderr without --verbose");
        assertMatches("softmax_out", out, 7, "auto backend");
        Cli.Result loud = Cli.run("run", "--verbose", "--force", "--op", "softmax", "--in",
                fixture("softmax_in").toString(), "--out", out.toString());
        assertEquals(0, loud.code(), loud.err());
        assertTrue(loud.err().contains("softmax of (10, 7) <f4 on "),
                () -> "verbose names the backend: " + loud.err());
    }
}
