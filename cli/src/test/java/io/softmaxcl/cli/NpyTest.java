package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import static io.softmaxcl.cli.Cli.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The .npy reader and writer against files NumPy wrote, and every malformed file it must refuse. */
class NpyTest {

    @TempDir
    Path dir;

    /** What make_fixtures.py saved: (np.arange(12).reshape(3, 4) - 5.5) / 2. */
    private static float[] arange() {
        float[] a = new float[12];
        for (int i = 0; i < 12; i++) {
            a[i] = (i - 5.5f) / 2;
        }
        return a;
    }

    @Test
    void readsFloat32WrittenByNumPy() throws IOException {
        Npy.Floats f = Npy.readFloats(fixture("numpy_f4"), "--in");
        assertEquals(NpyType.FLOAT32, f.type());
        assertArrayEquals(new int[] {3, 4}, f.shape());
        assertArrayEquals(arange(), f.values());
    }

    @Test
    void readsFloat64AsFloat32() throws IOException {
        Npy.Floats f = Npy.readFloats(fixture("numpy_f8"), "--in");
        assertEquals(NpyType.FLOAT64, f.type());
        assertArrayEquals(arange(), f.values());
    }

    @Test
    void transposesFortranOrderIntoRowMajor() throws IOException {
        Npy.Floats f = Npy.readFloats(fixture("numpy_fortran_f4"), "--in");
        assertArrayEquals(new int[] {3, 4}, f.shape());
        assertArrayEquals(arange(), f.values());
    }

    @Test
    void readsVersion2And3Headers() throws IOException {
        assertArrayEquals(arange(), Npy.readFloats(fixture("numpy_v2_f4"), "--in").values());
        assertArrayEquals(arange(), Npy.readFloats(fixture("numpy_v3_f4"), "--in").values());
    }

    @Test
    void readsInt64AndInt32Targets() throws IOException {
        int[] expected = {0, 10, 3, -100, 5, 10, -100, 1};
        assertArrayEquals(expected, Npy.readInts(fixture("ce_targets"), "--targets").values());
        assertArrayEquals(expected, Npy.readInts(fixture("ce_targets_i4"), "--targets").values());
    }

    @Test
    void readsBoolAndUint8Masks() throws IOException {
        Npy.Bytes b = Npy.readBytes(fixture("masked_mask"), "--mask");
        Npy.Bytes u = Npy.readBytes(fixture("masked_mask_u1"), "--mask");
        assertArrayEquals(new int[] {6, 5}, b.shape());
        assertEquals(0, b.values()[0], "mask[0, 0] is False");
        assertEquals(1, b.values()[1], "mask[0, 1] is True");
        for (int i = 0; i < b.values().length; i++) {
            assertEquals(b.values()[i] * 7, u.values()[i], "uint8 mask is 7 where the bool mask is True");
        }
    }

    @Test
    void writesFilesByteIdenticalToNumPy() throws IOException {
        assertArrayEquals(Files.readAllBytes(fixture("numpy_f4")), write(new int[] {3, 4}, arange(), NpyType.FLOAT32));
        assertArrayEquals(Files.readAllBytes(fixture("numpy_f8")), write(new int[] {3, 4}, arange(), NpyType.FLOAT64));
        assertArrayEquals(Files.readAllBytes(fixture("row_in")),
                write(new int[] {3}, new float[] {1, 2, 3}, NpyType.FLOAT32));
        float[] loss = Npy.readFloats(fixture("ce_loss_mean"), "test").values();
        assertArrayEquals(Files.readAllBytes(fixture("ce_loss_mean")), write(new int[0], loss, NpyType.FLOAT32),
                "0-d scalar");
    }

    @Test
    void roundTripsArraysLargerThanOneTransferChunk() throws IOException {
        int rows = 3;
        int cols = 100_003;
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i) * 1e3f + (i % 7 == 0 ? Float.NaN : 0);
        }
        for (NpyType t : List.of(NpyType.FLOAT32, NpyType.FLOAT64)) {
            Path p = dir.resolve("big-" + t + ".npy");
            Files.write(p, write(new int[] {rows, cols}, v, t));
            assertEquals(Npy.header(t, new int[] {rows, cols}).length + (long) v.length * t.size, Files.size(p));
            Npy.Floats back = Npy.readFloats(p, "--in");
            assertArrayEquals(new int[] {rows, cols}, back.shape());
            assertArrayEquals(v, back.values(), t.descr);
        }
    }

    private byte[] write(int[] shape, float[] values, NpyType type) throws IOException {
        Path p = dir.resolve("w.npy");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Npy.writeFloats(ch, shape, values, type);
        }
        return Files.readAllBytes(p);
    }

    /** A version 1.0 file with this header dict (padded as NumPy pads it) followed by {@code data}. */
    static byte[] npy(String dict, byte[] data) {
        return npy(1, dict, data);
    }

    static byte[] npy(int major, String dict, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        int len = dict.length() + 1;
        int total = (prefix + len + 63) / 64 * 64;
        String header = dict + " ".repeat(total - prefix - len) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) (total - prefix));
        } else {
            b.putInt(total - prefix);
        }
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] f4(int n) {
        return new byte[4 * n];
    }

    private static byte[] withMajorVersion(byte[] file, int major) {
        byte[] copy = file.clone();
        copy[6] = (byte) major;
        return copy;
    }

    private static String dict(String descr, String fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    }

    /** Malformed or unsupported files, each with a fragment its one-line message must contain. */
    static List<Object[]> badFiles() {
        byte[] ok = npy(dict("<f4", "False", "(2, 3)"), f4(6));
        return List.of(
                new Object[] {"empty file", new byte[0], "empty file"},
                new Object[] {"text file", "hello, world\n".getBytes(StandardCharsets.US_ASCII), "not a .npy file"},
                new Object[] {"magic only", Arrays.copyOf(ok, 7), "truncated"},
                new Object[] {"header cut short", Arrays.copyOf(ok, 40), "truncated"},
                new Object[] {"data cut short", Arrays.copyOf(ok, ok.length - 1), "truncated"},
                new Object[] {"extra bytes", Arrays.copyOf(ok, ok.length + 4), "unexpected bytes"},
                new Object[] {"version 4.0", withMajorVersion(ok, 4), "version 4.0"},
                new Object[] {"big-endian", npy(dict(">f4", "False", "(2, 3)"), f4(6)), "big-endian"},
                new Object[] {"float16", npy(dict("<f2", "False", "(2, 3)"), new byte[12]), "dtype '<f2'"},
                new Object[] {"int32 as data", npy(dict("<i4", "False", "(2, 3)"), f4(6)), "dtype '<i4'"},
                new Object[] {"complex", npy(dict("<c8", "False", "(2,)"), new byte[16]), "dtype '<c8'"},
                new Object[] {"structured", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
                        f4(2)), "structured"},
                new Object[] {"3-D", npy(dict("<f4", "False", "(2, 3, 1)"), f4(6)), "3-D"},
                new Object[] {"missing shape", npy("{'descr': '<f4', 'fortran_order': False, }", f4(1)),
                        "corrupt .npy header"},
                new Object[] {"unknown key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                        f4(1)), "corrupt .npy header"},
                new Object[] {"not a dict", npy("['<f4', False, (1,)]", f4(1)), "corrupt .npy header"},
                new Object[] {"garbage after dict", npy(dict("<f4", "False", "(1,)") + " junk", f4(1)),
                        "corrupt .npy header"},
                new Object[] {"negative dimension", npy(dict("<f4", "False", "(-1, 3)"), f4(3)),
                        "corrupt .npy header"},
                new Object[] {"fortran_order not bool", npy(dict("<f4", "0", "(1,)"), f4(1)), "corrupt .npy header"},
                new Object[] {"huge dimensions", npy(dict("<f4", "False", "(100000, 100000)"), f4(1)),
                        "more than a Java array"},
                new Object[] {"too large dimension", npy(dict("<f4", "False", "(99999999999,)"), f4(1)),
                        "too large"});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void refusesMalformedFilesWithOneLine(String name, byte[] content, String fragment) throws IOException {
        Path p = dir.resolve("bad.npy");
        Files.write(p, content);
        UserInputException e = assertThrows(UserInputException.class, () -> Npy.readFloats(p, "--in"));
        assertTrue(e.getMessage().contains(fragment), () -> "message should mention '" + fragment + "': "
                + e.getMessage());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file");
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }

    @Test
    void refusesInt64TargetsThatDoNotFitAnInt() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1).putLong(1L << 40);
        Path p = dir.resolve("t.npy");
        Files.write(p, npy(dict("<i8", "False", "(2,)"), b.array()));
        UserInputException e = assertThrows(UserInputException.class, () -> Npy.readInts(p, "--targets"));
        assertTrue(e.getMessage().contains("1099511627776"), e.getMessage());
    }

    @Test
    void readsVersion2HeadersItBuildsItself() throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
        data.write(b.array());
        Path p = dir.resolve("v2.npy");
        Files.write(p, npy(2, dict("<f4", "False", "(2,)"), data.toByteArray()));
        assertArrayEquals(new float[] {1.5f, -2f}, Npy.readFloats(p, "--in").values());
    }

    @Test
    void refusesAMaskWithAFloatDtypeNamingTheAcceptedOnes() throws IOException {
        UserInputException e = assertThrows(UserInputException.class,
                () -> Npy.readBytes(fixture("numpy_f4"), "--mask"));
        assertTrue(e.getMessage().contains("'<f4' is not supported for --mask; expected bool"), e.getMessage());
    }
}
