package io.softmaxcl.cli;

import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.softmaxcl.cli.Cli.assertUlps;
import static io.softmaxcl.cli.Cli.fixture;
import static io.softmaxcl.cli.Cli.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every way {@code run} can be given bad input: exit code 2, one line on stderr without a stack trace, no output
 * (not even a temporary file) left behind, and the input files byte-for-byte and timestamp unchanged.
 */
class RunCommandErrorsTest {

    @TempDir
    Path dir;

    private Path in;
    private Path out;
    private byte[] inBytes;
    private FileTime inTime;

    @BeforeEach
    void copyInput() throws IOException {
        in = Cli.copy("softmax_in", dir);
        Files.setLastModifiedTime(in, FileTime.fromMillis(1_000_000_000_000L));
        inBytes = Files.readAllBytes(in);
        inTime = Files.getLastModifiedTime(in);
        out = dir.resolve("out.npy");
    }

    /** Runs {@code run} and asserts it failed cleanly; returns the error line. */
    private String fails(String... args) throws IOException {
        String[] before = Cli.list(dir);
        Cli.Result r = Cli.run(args);
        String line = Cli.assertUsageError(r);
        assertEquals("", r.out(), "nothing on stdout");
        assertArrayEquals(before, Cli.list(dir), "no file created or removed in the output directory");
        assertArrayEquals(inBytes, Files.readAllBytes(in), "input unchanged");
        assertEquals(inTime, Files.getLastModifiedTime(in), "input not rewritten");
        return line;
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    static List<Object[]> badInputs() {
        return List.of(
                new Object[] {"not npy", "hello".getBytes(StandardCharsets.US_ASCII), "not a .npy file"},
                new Object[] {"truncated", Arrays.copyOf(NpyTest.npy(dict("<f4", "(2, 3)"), NpyTest.f4(6)), 140),
                        "truncated"},
                new Object[] {"big-endian", NpyTest.npy(dict(">f4", "(2, 3)"), NpyTest.f4(6)), "big-endian"},
                new Object[] {"int dtype", NpyTest.npy(dict("<i8", "(2, 3)"), new byte[48]), "dtype '<i8'"},
                new Object[] {"3-D", NpyTest.npy(dict("<f4", "(1, 2, 3)"), NpyTest.f4(6)), "3-D"},
                new Object[] {"0-d scalar", NpyTest.npy(dict("<f4", "()"), NpyTest.f4(1)), "0-d"},
                new Object[] {"garbage header", NpyTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, "
                        + "3), ", NpyTest.f4(6)), "corrupt .npy header"});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputFileFailsCleanly(String name, byte[] content, String fragment) throws IOException {
        Path bad = write("bad.npy", content);
        String line = fails("run", "--op", "softmax", "--in", bad.toString(), "--out", out.toString());
        assertTrue(line.contains(fragment) && line.contains(bad.toString()),
                () -> "names the file and the problem ('" + fragment + "'): " + line);
    }

    @Test
    void missingInputFile() throws IOException {
        String line = fails("run", "--op", "softmax", "--in", dir.resolve("nope.npy").toString(), "--out",
                out.toString());
        assertTrue(line.contains("no such file") && line.contains("nope.npy"), line);
    }

    @Test
    void inputThatIsADirectory() throws IOException {
        String line = fails("run", "--op", "softmax", "--in", dir.toString(), "--out", out.toString());
        assertTrue(line.contains("is a directory"), line);
    }

    @Test
    void inputPathThroughARegularFile() throws IOException {
        String line = fails("run", "--op", "softmax", "--in", in.resolve("x.npy").toString(), "--out",
                out.toString());
        assertTrue(line.contains("x.npy"), line);
    }

    @Test
    void unreadableInput() throws IOException {
        Files.setPosixFilePermissions(in, PosixFilePermissions.fromString("---------"));
        try {
            assumeFalse(Files.isReadable(in), "running as root: every file is readable");
            String line = fails("run", "--op", "softmax", "--in", in.toString(), "--out", out.toString());
            assertTrue(line.contains("permission denied"), line);
        } finally {
            Files.setPosixFilePermissions(in, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    static List<Object[]> badOptions() {
        List<Object[]> c = new ArrayList<>();
        c.add(new Object[] {List.of("--op", "sofmax"), "unknown --op 'sofmax'"});
        c.add(new Object[] {List.of("--op", "softmax", "--backend", "gpu"), "unknown backend 'gpu'"});
        c.add(new Object[] {List.of("--op", "softmax", "--temperature", "0"), "--temperature must be finite and > 0"});
        c.add(new Object[] {List.of("--op", "softmax", "--temperature", "-1"), "--temperature must be finite"});
        c.add(new Object[] {List.of("--op", "softmax", "--temperature", "NaN"), "--temperature must be finite"});
        c.add(new Object[] {List.of("--op", "softmax", "--temperature", "Infinity"), "--temperature must be finite"});
        c.add(new Object[] {List.of("--op", "masked-softmax", "--temperature", "2"), "--temperature applies only"});
        c.add(new Object[] {List.of("--op", "softmax", "--mask", "m.npy"), "--mask applies only"});
        c.add(new Object[] {List.of("--op", "softmax", "--targets", "t.npy"), "--targets applies only"});
        c.add(new Object[] {List.of("--op", "log-softmax", "--reduction", "sum"), "--reduction applies only"});
        c.add(new Object[] {List.of("--op", "cross-entropy"), "needs --targets"});
        c.add(new Object[] {List.of("--op", "softmax", "--threads", "-1"), "--threads must be >= 0"});
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badOptions")
    void badOptionsFailCleanly(List<String> options, String fragment) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", "--in", in.toString(), "--out", out.toString()));
        args.addAll(options);
        String line = fails(args.toArray(String[]::new));
        assertTrue(line.contains(fragment), () -> "should contain '" + fragment + "': " + line);
    }

    @Test
    void crossEntropyWithATargetOutOfRangeLeavesNoOutputs() throws IOException {
        Path logits = Cli.copy("ce_logits", dir);
        Path targets = write("t.npy", NpyTest.npy(dict("<i4", "(8,)"), targetBytes(0, 1, 2, 11, 4, 5, 6, 7)));
        String line = fails("run", "--op", "cross-entropy", "--in", logits.toString(), "--targets",
                targets.toString(), "--out", out.toString(), "--grad-out", dir.resolve("g.npy").toString());
        assertTrue(line.contains("t.npy: targets[3] = 11 is out of range [0, 11)"), line);
    }

    @Test
    void crossEntropyWithTargetsOfTheWrongLength() throws IOException {
        Path logits = Cli.copy("ce_logits", dir);
        Path targets = write("t.npy", NpyTest.npy(dict("<i4", "(3,)"), targetBytes(0, 1, 2)));
        String line = fails("run", "--op", "cross-entropy", "--in", logits.toString(), "--targets",
                targets.toString(), "--out", out.toString());
        assertTrue(line.contains("--targets shape (3,) does not match 8 rows"), line);
    }

    @Test
    void crossEntropyWithFloatTargets() throws IOException {
        Path logits = Cli.copy("ce_logits", dir);
        String line = fails("run", "--op", "cross-entropy", "--in", logits.toString(), "--targets",
                in.toString(), "--out", out.toString());
        assertTrue(line.contains("is not supported for --targets; expected int32"), line);
    }

    @Test
    void maskOfTheWrongShape() throws IOException {
        Path mask = write("m.npy", NpyTest.npy("{'descr': '|b1', 'fortran_order': False, 'shape': (10, 6), }",
                new byte[60]));
        String line = fails("run", "--op", "masked-softmax", "--in", in.toString(), "--mask", mask.toString(),
                "--out", out.toString());
        assertTrue(line.contains("--mask shape (10, 6) does not match the input shape (10, 7)"), line);
    }

    @Test
    void unavailableOpenClNamesTheReason() throws IOException {
        assumeTrue(TestBackends.openClUnavailableReason() != null, "OpenCL is available here");
        String line = fails("run", "--op", "softmax", "--backend", "opencl", "--in", in.toString(), "--out",
                out.toString());
        assertTrue(line.contains("--backend opencl is not available: " + TestBackends.openClUnavailableReason()),
                line);
    }

    @Test
    void existingOutputIsRefusedAndKeptWithoutForce() throws IOException {
        Files.writeString(out, "precious");
        String line = fails("run", "--op", "softmax", "--in", in.toString(), "--out", out.toString());
        assertTrue(line.contains("output exists") && line.contains("--force"), line);
        assertEquals("precious", Files.readString(out));
    }

    @Test
    void forceReplacesAnExistingOutput() throws IOException {
        Files.writeString(out, "old");
        Cli.Result r = Cli.run("run", "--op", "softmax", "--force", "--in", in.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertUlps(floats(fixture("softmax_out")), floats(out), 7, 8, 1e-7, "forced output");
        assertArrayEquals(new String[] {"out.npy", "softmax_in.npy"}, Cli.list(dir), "no temporary file left");
    }

    @Test
    void outputEqualToInputIsRefusedWithoutForce() throws IOException {
        String line = fails("run", "--op", "softmax", "--in", in.toString(), "--out", in.toString());
        assertTrue(line.contains("is the input file") && line.contains("--force"), line);
        // The same file reached through another path is recognised too.
        Path alias = dir.resolve(".").resolve("softmax_in.npy");
        fails("run", "--op", "softmax", "--in", in.toString(), "--out", alias.toString());
    }

    @Test
    void outputEqualToInputWithForceReplacesTheFileWithoutWritingIntoIt() throws IOException {
        // A hard link keeps the original inode visible: an in-place write would change it, a rename does not.
        Path link = Files.createLink(dir.resolve("link.npy"), in);
        Cli.Result r = Cli.run("run", "--op", "softmax", "--force", "--in", in.toString(), "--out", in.toString());
        assertEquals(0, r.code(), r.err());
        assertUlps(floats(fixture("softmax_out")), floats(in), 7, 8, 1e-7, "result replaced the input path");
        assertArrayEquals(inBytes, Files.readAllBytes(link), "the original file's bytes were never written");
        assertArrayEquals(new String[] {"link.npy", "softmax_in.npy"}, Cli.list(dir), "no temporary file left");
    }

    @Test
    void gradOutEqualToOutIsRefused() throws IOException {
        Path logits = Cli.copy("ce_logits", dir);
        String line = fails("run", "--op", "cross-entropy", "--in", logits.toString(), "--targets",
                fixture("ce_targets").toString(), "--out", out.toString(), "--grad-out", out.toString());
        assertTrue(line.contains("--grad-out and --out are the same file"), line);
    }

    @Test
    void outputDirectoryThatDoesNotExist() throws IOException {
        String line = fails("run", "--op", "softmax", "--in", in.toString(), "--out",
                dir.resolve("missing/out.npy").toString());
        assertTrue(line.contains("does not exist"), line);
    }

    @Test
    void outputUnderARegularFile() throws IOException {
        String line = fails("run", "--op", "softmax", "--in", in.toString(), "--out",
                in.resolve("out.npy").toString());
        assertTrue(line.contains("is not a directory"), line);
    }

    @Test
    void outputThatIsADirectory() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        String line = fails("run", "--op", "softmax", "--force", "--in", in.toString(), "--out", sub.toString());
        assertTrue(line.contains("is a directory"), line);
    }

    @Test
    void unwritableOutputDirectory() throws IOException {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "running as root: every directory is writable");
            String line = fails("run", "--op", "softmax", "--in", in.toString(), "--out",
                    ro.resolve("out.npy").toString());
            assertTrue(line.contains("permission denied"), line);
            assertEquals(0, Cli.list(ro).length, "nothing written");
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void missingRequiredOptionsGiveExitCode2AndAHint() {
        Cli.Result r = Cli.run("run", "--op", "softmax");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().startsWith("softmax-cl: Missing required option"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void helpWorksForEveryCommand() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"run", "--help"},
                new String[] {"devices", "--help"}, new String[] {"help", "run"})) {
            Cli.Result r = Cli.run(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().contains("Usage: softmax-cl"), () -> String.join(" ", args) + ": " + r.out());
        }
    }

    private static byte[] targetBytes(int... t) {
        ByteBuffer b = ByteBuffer.allocate(4 * t.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : t) {
            b.putInt(v);
        }
        return b.array();
    }
}
