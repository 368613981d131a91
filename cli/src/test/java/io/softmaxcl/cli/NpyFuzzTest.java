package io.softmaxcl.cli;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes the .npy reader with mutated real fixture files (flipped bytes, cut or padded files, rewritten headers
 * with lying shapes, dtypes, versions and lengths). Every input must either read as a consistent array or be
 * refused with one {@link UserInputException} of one line naming the file; nothing else may escape, and no read
 * may allocate memory out of proportion to the file (a lying header must not size an allocation).
 *
 * <p>Default: 2,000 tries (a few seconds); with {@code -Dsoftmaxcl.long=true}: 100,000.
 */
@AddLifecycleHook(NpyFuzzTest.Tries.class)
class NpyFuzzTest {

    static final int TRIES = Boolean.getBoolean("softmaxcl.long") ? 100_000 : 2_000;
    private static final AtomicLong TRIED = new AtomicLong();
    private static final AtomicLong ACCEPTED = new AtomicLong();
    private static final List<byte[]> FIXTURES = fixtures();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Sets the tries from {@code softmaxcl.long}. */
    public static final class Tries implements AroundPropertyHook {
        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            context.attributes().setTries(TRIES);
            return property.execute();
        }

        @Override
        public int aroundPropertyProximity() {
            return -100;
        }
    }

    @AfterContainer
    static void report() {
        System.out.println("NpyFuzzTest: " + TRIED.get() + " mutated .npy files tried, " + ACCEPTED.get()
                + " read as arrays, the rest refused with a one-line error");
    }

    @Property
    void everyMutatedFileReadsOrIsRefusedInOneLine(@ForAll("mutatedFiles") byte[] bytes) throws IOException {
        Path file = Files.createTempFile("fuzz", ".npy");
        try {
            Files.write(file, bytes);
            for (int reader = 0; reader < 3; reader++) {
                TRIED.incrementAndGet();
                long before = THREADS.getCurrentThreadAllocatedBytes();
                try {
                    int[] shape;
                    int length;
                    switch (reader) {
                        case 0 -> {
                            var f = Npy.readFloats(file, "input");
                            shape = f.shape();
                            length = f.values().length;
                        }
                        case 1 -> {
                            var i = Npy.readInts(file, "targets");
                            shape = i.shape();
                            length = i.values().length;
                        }
                        default -> {
                            var b = Npy.readBytes(file, "mask");
                            shape = b.shape();
                            length = b.values().length;
                        }
                    }
                    long count = 1;
                    for (int d : shape) {
                        count *= d;
                    }
                    assertEquals(count, length, "values do not match the shape");
                    ACCEPTED.incrementAndGet();
                } catch (UserInputException e) {
                    String m = e.getMessage();
                    assertTrue(m != null && m.startsWith(file.toString()) && m.lines().count() == 1
                                    && m.chars().noneMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029), "not one clean line: " + m);
                } catch (Throwable t) {
                    fail("reader " + reader + " let " + t + " escape", t);
                }
                long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
                assertTrue(allocated <= 16L * bytes.length + (512 << 10),
                        "reader " + reader + " allocated " + allocated + " bytes for a file of " + bytes.length);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Provide
    Arbitrary<byte[]> mutatedFiles() {
        Arbitrary<byte[]> base = Arbitraries.integers().between(0, FIXTURES.size() - 1).map(FIXTURES::get);
        return Arbitraries.oneOf(
                base.flatMap(NpyFuzzTest::flipBytes),
                base.flatMap(b -> Arbitraries.integers().between(0, b.length).map(n -> java.util.Arrays.copyOf(b, n))),
                base.flatMap(b -> Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(tail -> concat(b, tail))),
                base.flatMap(NpyFuzzTest::rewriteHeader),
                base.flatMap(NpyFuzzTest::lieAboutHeaderLength));
    }

    private static Arbitrary<byte[]> flipBytes(byte[] b) {
        Arbitrary<Integer> where = Arbitraries.oneOf(Arbitraries.integers().between(0, Math.min(b.length, 128) - 1),
                Arbitraries.integers().between(0, b.length - 1));
        return Combinators.combine(where.list().ofMinSize(1).ofMaxSize(8), Arbitraries.bytes().list().ofSize(8))
                .as((at, v) -> {
                    byte[] c = b.clone();
                    for (int k = 0; k < at.size(); k++) {
                        c[at.get(k)] = v.get(k);
                    }
                    return c;
                });
    }

    /** A new header dict (real and bogus dtypes, shapes, orders, versions) over the fixture's data bytes. */
    private static Arbitrary<byte[]> rewriteHeader(byte[] b) {
        Arbitrary<String> descr = Arbitraries.oneOf(
                Arbitraries.of("<f4", "<f8", ">f4", ">f8", "<i4", "<i8", "|b1", "|u1", "|i1", "<f2", "<c8", "O",
                        "", "<U3", "f4", "<i2", "'", "\n", "\u0000", "é", "<f4\n<f4"),
                Arbitraries.strings().ofMaxLength(6));
        Arbitrary<String> dim = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 70).map(String::valueOf),
                Arbitraries.of("2147483647", "2147483648", "4294967296", "99999999999999999999999", "-1", "3L",
                        "0x10", "1e3", "", " ", "1,", "46341", "65536", "1048576"));
        Arbitrary<String> shape = dim.list().ofMaxSize(4).map(d -> d.size() == 1 ? "(" + d.get(0) + ",)"
                : "(" + String.join(", ", d) + ")");
        Arbitrary<String> order = Arbitraries.of("False", "True", "0", "'False'", "None");
        Arbitrary<String> extra = Arbitraries.of("", "", "", " 'x': 1,", " 'descr': '<f4',", "}", "{", "\n");
        Arbitrary<Integer> version = Arbitraries.of(1, 1, 1, 2, 3, 0, 4, 255);
        return Combinators.combine(descr, order, shape, extra, version).as((d, o, s, x, v) -> {
            String dict = "{'descr': '" + d + "', 'fortran_order': " + o + ", 'shape': " + s + "," + x + " }";
            return withHeader(dict, v, data(b));
        });
    }

    /** The fixture's own header text under a length field that lies (version 1 or 2). */
    private static Arbitrary<byte[]> lieAboutHeaderLength(byte[] b) {
        Arbitrary<Long> len = Arbitraries.oneOf(Arbitraries.longs().between(0, 300),
                Arbitraries.of(0xFFFFL, 1L << 20, (1L << 20) + 1, 0x7FFFFFFFL, 0xFFFFFFFFL));
        return Combinators.combine(len, Arbitraries.of(1, 2)).as((n, v) -> {
            byte[] real = withHeader(headerText(b), v, data(b));
            ByteBuffer w = ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN);
            if (v == 1) {
                w.putShort(8, (short) (long) n);
            } else {
                w.putInt(8, (int) (long) n);
            }
            return real;
        });
    }

    private static String headerText(byte[] npy) {
        int len = ByteBuffer.wrap(npy).order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
        return new String(npy, 10, Math.min(len, npy.length - 10), StandardCharsets.ISO_8859_1).strip();
    }

    private static byte[] withHeader(String dict, int version, byte[] data) {
        byte[] text = (dict + "\n").getBytes(version == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = version == 1 ? 10 : 12;
        ByteBuffer out = ByteBuffer.allocate(prefix + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) {
            out.putShort((short) text.length);
        } else {
            out.putInt(text.length);
        }
        return out.put(text).put(data).array();
    }

    /** The fixture's data bytes (after its version-1 header). */
    private static byte[] data(byte[] npy) {
        int len = ByteBuffer.wrap(npy).order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
        return java.util.Arrays.copyOfRange(npy, Math.min(npy.length, 10 + len), npy.length);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static List<byte[]> fixtures() {
        try {
            Path dir = Path.of(NpyFuzzTest.class.getResource("/fixtures").toURI());
            List<byte[]> out = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.filter(p -> p.toString().endsWith(".npy")).sorted().toList()) {
                    out.add(Files.readAllBytes(p));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
