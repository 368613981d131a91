package io.softmaxcl.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs the CLI in this JVM through {@link Main#execute} and captures what it prints. */
final class Cli {

    private Cli() {
    }

    record Result(int code, String out, String err) {
        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            int code = Main.execute(args);
            o.flush();
            e.flush();
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Asserts exit code 2 with exactly one line on stderr, prefixed, without a stack trace; returns the line. */
    static String assertUsageError(Result r) {
        assertEquals(Main.EXIT_USAGE, r.code(), () -> "exit code; stderr: " + r.err());
        String[] lines = r.errLines();
        if (lines.length != 1) {
            fail("expected one line on stderr, got " + lines.length + ":\n" + r.err());
        }
        String line = lines[0];
        assertFalse(line.contains("Exception") || line.contains("\tat ") || line.contains("null"),
                () -> "stderr looks like a stack trace or an unhelpful message: " + line);
        if (!line.startsWith("softmax-cl: ")) {
            fail("stderr line should start with 'softmax-cl: ': " + line);
        }
        return line;
    }

    /** A committed fixture as a file. */
    static Path fixture(String name) {
        try {
            var url = Cli.class.getResource("/fixtures/" + name + ".npy");
            if (url == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of a fixture in {@code dir}, so that tests can check it is left unchanged. */
    static Path copy(String name, Path dir) {
        try {
            return Files.copy(fixture(name), dir.resolve(name + ".npy"), StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(Path p) throws IOException {
        return Npy.readFloats(p, "test").values();
    }

    static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** The names of the files in {@code dir}, sorted. */
    static String[] list(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            String[] names = s.map(p -> p.getFileName().toString()).toArray(String[]::new);
            Arrays.sort(names);
            return names;
        }
    }

    /**
     * {@link #assertUlps} with a relative tolerance instead of ulps: finite values within {@code rtol · |expected|
     * + atol} (the library's float32 guarantee is 1e-5 relative, looser than a few ulps).
     */
    static void assertRelative(float[] expected, float[] actual, int cols, double rtol, double atol, String what) {
        assertWithin(expected, actual, cols, e -> rtol * Math.abs(e) + atol, "rtol " + rtol + ", atol " + atol, what);
    }

    /**
     * Asserts {@code actual} matches {@code expected} (a PyTorch float32 result): NaN and ±Inf at exactly the same
     * places, finite values within {@code ulps} float32 ulps of the expected value or {@code atol}.
     */
    static void assertUlps(float[] expected, float[] actual, int cols, int ulps, double atol, String what) {
        assertWithin(expected, actual, cols, e -> ulps * (double) Math.ulp((float) e) + atol,
                ulps + " ulps, atol " + atol, what);
    }

    /** NaN and ±Inf exactly where {@code expected} has them; finite values within {@code allowed(expected)}. */
    private static void assertWithin(float[] expected, float[] actual, int cols,
                                     java.util.function.DoubleUnaryOperator allowed, String tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int k = 0; k < expected.length; k++) {
            float e = expected[k];
            float a = actual[k];
            boolean ok = Float.isFinite(e) ? Float.isFinite(a) && Math.abs((double) a - e) <= allowed.applyAsDouble(e)
                    : Float.compare(e, a) == 0;
            if (!ok) {
                fail(what + ": mismatch at row " + k / cols + ", col " + k % cols + ": PyTorch " + e + " but got "
                        + a + " (" + tolerance + ")");
            }
        }
    }
}
