package io.softmaxcl.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * A strict reader and writer for NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0): little-endian
 * numeric dtypes, 0-, 1- and 2-D shapes, C order, and Fortran order transposed on read. Anything else is refused
 * with a {@link UserInputException} whose message names the file and the problem in one line.
 */
final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy pads headers so that the data starts on a multiple of this. */
    private static final int ALIGN = 64;
    /** Far beyond any real header; a larger length field means the file is corrupt. */
    private static final int MAX_HEADER = 1 << 20;
    /**
     * Bulk transfers go through a direct buffer of this many bytes (a multiple of every element size). Not a memory
     * mapping: on Windows a mapped input could not be replaced by {@code --out X --force} until garbage collection.
     */
    private static final int CHUNK = 16 << 20;

    private Npy() {
    }

    /** What a {@code .npy} header says: dtype, shape, memory order, and where the data starts. */
    record Header(NpyType type, boolean fortranOrder, int[] shape, long dataOffset) {
        long count() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Float data with its shape and the dtype it was stored as. */
    record Floats(float[] values, int[] shape, NpyType type) {
    }

    /** 16-bit patterns (float16, or bfloat16 bits stored as uint16) with their shape and dtype. */
    record Shorts(short[] values, int[] shape, NpyType type) {
    }

    /** Integer data (int32 or int64 narrowed to int) with its shape. */
    record Ints(int[] values, int[] shape) {
    }

    /** One byte per element (bool, uint8 or int8) with its shape. */
    record Bytes(byte[] values, int[] shape) {
    }

    static Floats readFloats(Path file, String role) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = readHeader(ch, file, role, EnumSet.of(NpyType.FLOAT32, NpyType.FLOAT64),
                    "float32 ('<f4') or float64 ('<f8')");
            int n = (int) h.count();
            float[] values = allocate(n, file, h);
            ByteBuffer buf = chunkBuffer(n, h.type().size);
            int done = 0;
            while (done < n) {
                int k = fill(ch, buf, n - done, h.type().size, file);
                if (h.type() == NpyType.FLOAT32) {
                    buf.asFloatBuffer().get(values, done, k);
                } else {
                    var d = buf.asDoubleBuffer();
                    for (int i = 0; i < k; i++) {
                        values[done + i] = (float) d.get(i);
                    }
                }
                done += k;
            }
            return new Floats(h.fortranOrder() ? transpose(values, h.shape()) : values, h.shape(), h.type());
        }
    }

    /** The dtype a valid {@code .npy} file holds, or the one-line error of a read accepting only {@code accepted}. */
    static NpyType dtypeOf(Path file, String role, Set<NpyType> accepted, String expected) throws IOException {
        try (FileChannel ch = open(file)) {
            return readHeader(ch, file, role, accepted, expected).type();
        }
    }

    /** Reads a float16 ({@code <f2}) or uint16 ({@code <u2}) array as its raw 16-bit patterns. */
    static Shorts readShorts(Path file, String role) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = readHeader(ch, file, role, EnumSet.of(NpyType.FLOAT16, NpyType.UINT16),
                    "float16 ('<f2') or uint16 ('<u2')");
            int n = (int) h.count();
            short[] values = new short[n];
            ByteBuffer buf = chunkBuffer(n, 2);
            int done = 0;
            while (done < n) {
                int k = fill(ch, buf, n - done, 2, file);
                buf.asShortBuffer().get(values, done, k);
                done += k;
            }
            return new Shorts(h.fortranOrder() ? transpose(values, h.shape()) : values, h.shape(), h.type());
        }
    }

    static Ints readInts(Path file, String role) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = readHeader(ch, file, role, EnumSet.of(NpyType.INT32, NpyType.INT64),
                    "int32 ('<i4') or int64 ('<i8')");
            int n = (int) h.count();
            int[] values = new int[n];
            ByteBuffer buf = chunkBuffer(n, h.type().size);
            int done = 0;
            while (done < n) {
                int k = fill(ch, buf, n - done, h.type().size, file);
                if (h.type() == NpyType.INT32) {
                    buf.asIntBuffer().get(values, done, k);
                } else {
                    var l = buf.asLongBuffer();
                    for (int i = 0; i < k; i++) {
                        long v = l.get(i);
                        if (v != (int) v) {
                            throw new UserInputException(file + ": " + role + " value " + v + " at index "
                                    + (done + i) + " does not fit in a 32-bit int");
                        }
                        values[done + i] = (int) v;
                    }
                }
                done += k;
            }
            return new Ints(h.fortranOrder() ? transpose(values, h.shape()) : values, h.shape());
        }
    }

    static Bytes readBytes(Path file, String role) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = readHeader(ch, file, role, EnumSet.of(NpyType.BOOL, NpyType.UINT8, NpyType.INT8),
                    "bool ('|b1'), uint8 ('|u1') or int8 ('|i1')");
            int n = (int) h.count();
            byte[] values = new byte[n];
            ByteBuffer buf = chunkBuffer(n, 1);
            int done = 0;
            while (done < n) {
                int k = fill(ch, buf, n - done, 1, file);
                buf.get(values, done, k);
                done += k;
            }
            return new Bytes(h.fortranOrder() ? transpose(values, h.shape()) : values, h.shape());
        }
    }

    /** Writes {@code values} (C order) as {@code type}, which must be FLOAT32 or FLOAT64. */
    static void writeFloats(WritableByteChannel ch, int[] shape, float[] values, NpyType type) throws IOException {
        if (type != NpyType.FLOAT32 && type != NpyType.FLOAT64) {
            throw new IllegalArgumentException("cannot write floats as " + type.descr);
        }
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        if (count != values.length) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " does not hold " + values.length
                    + " values");
        }
        writeFully(ch, ByteBuffer.wrap(header(type, shape)));
        ByteBuffer buf = chunkBuffer(values.length, type.size);
        int per = buf.capacity() / type.size;
        for (int done = 0; done < values.length; ) {
            int k = Math.min(per, values.length - done);
            buf.clear();
            if (type == NpyType.FLOAT32) {
                buf.asFloatBuffer().put(values, done, k);
            } else {
                var d = buf.asDoubleBuffer();
                for (int i = 0; i < k; i++) {
                    d.put(i, values[done + i]);
                }
            }
            buf.limit(k * type.size);
            writeFully(ch, buf);
            done += k;
        }
    }

    /** Writes 16-bit patterns (C order) as {@code type}, FLOAT16 or UINT16. */
    static void writeShorts(WritableByteChannel ch, int[] shape, short[] values, NpyType type) throws IOException {
        if (type != NpyType.FLOAT16 && type != NpyType.UINT16) {
            throw new IllegalArgumentException("cannot write 16-bit patterns as " + type.descr);
        }
        writeFully(ch, ByteBuffer.wrap(header(type, shape)));
        ByteBuffer buf = chunkBuffer(values.length, 2);
        int per = buf.capacity() / 2;
        for (int done = 0; done < values.length; ) {
            int k = Math.min(per, values.length - done);
            buf.clear();
            buf.asShortBuffer().put(values, done, k);
            buf.limit(k * 2);
            writeFully(ch, buf);
            done += k;
        }
    }

    /** Writes integer {@code values} (C order) as little-endian int64 ({@code <i8}), NumPy's default index type. */
    static void writeInt64(WritableByteChannel ch, int[] shape, int[] values) throws IOException {
        writeFully(ch, ByteBuffer.wrap(header(NpyType.INT64, shape)));
        ByteBuffer buf = chunkBuffer(values.length, 8);
        int per = buf.capacity() / 8;
        for (int done = 0; done < values.length; ) {
            int k = Math.min(per, values.length - done);
            buf.clear();
            var l = buf.asLongBuffer();
            for (int i = 0; i < k; i++) {
                l.put(i, values[done + i]);
            }
            buf.limit(k * 8);
            writeFully(ch, buf);
            done += k;
        }
    }

    /** The header NumPy itself writes for a C-order array: version 1.0, padded so the data is 64-byte aligned. */
    static byte[] header(NpyType type, int[] shape) {
        String dict = "{'descr': '" + type.descr + "', 'fortran_order': False, 'shape': " + shapeString(shape)
                + ", }";
        int v1Len = pad(10 + dict.length() + 1);
        boolean v2 = v1Len - 10 > 0xFFFF;
        int prefix = v2 ? 12 : 10;
        int total = pad(prefix + dict.length() + 1);
        int headerLen = total - prefix;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) {
            b.putInt(headerLen);
        } else {
            b.putShort((short) headerLen);
        }
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (b.position() < total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    /** Python's repr of a shape tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    static String shapeString(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringJoiner j = new StringJoiner(", ", "(", ")");
        for (int d : shape) {
            j.add(Integer.toString(d));
        }
        return j.toString();
    }

    /** Header text as an error message may show it: one line, control characters replaced by '?'. */
    static String shown(String text) {
        String t = text.length() > 120 ? text.substring(0, 120) + "..." : text;
        return t.replaceAll("[\\p{Cc}\\p{Zl}\\p{Zp}]", "?");
    }

    private static int pad(int length) {
        return (length + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static FileChannel open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new UserInputException(file + ": is a directory, not a .npy file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    private static Header readHeader(FileChannel ch, Path file, String role, Set<NpyType> accepted, String expected)
            throws IOException {
        long size = ch.size();
        if (size == 0) {
            throw new UserInputException(file + ": empty file, not a .npy file");
        }
        ByteBuffer pre = ByteBuffer.allocate((int) Math.min(10, size)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, file, "its header");
        byte[] magic = new byte[Math.min(6, pre.remaining())];
        pre.get(magic);
        if (!Arrays.equals(magic, Arrays.copyOf(MAGIC, magic.length))) {
            throw new UserInputException(file + ": not a .npy file (it does not start with \\x93NUMPY)");
        }
        if (size < 10) {
            throw new UserInputException(file + ": truncated: the file ends inside its header");
        }
        int major = pre.get() & 0xFF;
        int minor = pre.get() & 0xFF;
        long headerLen;
        if (major == 1 && minor == 0) {
            headerLen = pre.getShort() & 0xFFFF;
        } else if ((major == 2 || major == 3) && minor == 0) {
            ByteBuffer more = ByteBuffer.allocate(2);
            readFully(ch, more, file, "its header");
            headerLen = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort(pre.getShort()).put(more.array()).getInt(0) & 0xFFFFFFFFL;
        } else {
            throw new UserInputException(file + ": unsupported .npy format version " + major + "." + minor
                    + " (expected 1.0, 2.0 or 3.0)");
        }
        if (headerLen > MAX_HEADER) {
            throw new UserInputException(file + ": corrupt .npy header (header length " + headerLen + ")");
        }
        if (headerLen > size - ch.position()) {
            // Checked before allocating: a lying length must not size a buffer the file cannot fill.
            throw new UserInputException(file + ": truncated: the header says it is " + headerLen + " bytes but "
                    + (size - ch.position()) + " bytes follow its length field");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, file, "its header");
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new HeaderParser(text, file).parse();

        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeObj = dict.get("shape");
        if (!(descr instanceof String d) || !(fortran instanceof Boolean f) || !(shapeObj instanceof int[] shape)
                || dict.size() != 3) {
            throw new UserInputException(file + ": corrupt .npy header (expected exactly 'descr' as a string, "
                    + "'fortran_order' as True/False and 'shape' as a tuple): " + shown(text.strip()));
        }
        NpyType type = NpyType.of(d);
        if (d.startsWith(">")) {
            throw new UserInputException(file + ": big-endian dtype '" + shown(d) + "' is not supported for " + role
                    + "; save it little-endian, e.g. x.astype('<" + shown(d.substring(1)) + "')");
        }
        if (type == null || !accepted.contains(type)) {
            throw new UserInputException(file + ": dtype '" + shown(d) + "' is not supported for " + role
                    + "; expected " + expected);
        }
        if (shape.length > 2) {
            throw new UserInputException(file + ": " + shape.length + "-D shape " + shapeString(shape)
                    + " is not supported; expected 1-D (one row) or 2-D (rows × columns)");
        }
        long count = 1;
        // A zero-length dimension is an empty batch (as in PyTorch), not an error: it gives an empty output.
        for (int s : shape) {
            count *= s;
        }
        if (count > Integer.MAX_VALUE) {
            throw new UserInputException(file + ": shape " + shapeString(shape) + " has " + count
                    + " elements, more than a Java array holds (" + Integer.MAX_VALUE + ")");
        }
        long dataOffset = ch.position();
        long expectedBytes = count * type.size;
        long actual = ch.size() - dataOffset;
        if (actual < expectedBytes) {
            throw new UserInputException(file + ": truncated: shape " + shapeString(shape) + " of '" + d
                    + "' needs " + expectedBytes + " bytes of data but only " + actual + " follow the header");
        }
        if (actual > expectedBytes) {
            throw new UserInputException(file + ": corrupt: " + (actual - expectedBytes)
                    + " unexpected bytes after the data of shape " + shapeString(shape) + " of '" + d + "'");
        }
        return new Header(type, f, shape, dataOffset);
    }

    /** The array for the data, or a one-line error when the heap cannot hold it (rather than a crash). */
    private static float[] allocate(int n, Path file, Header h) throws UserInputException {
        try {
            return new float[n];
        } catch (OutOfMemoryError e) {
            throw new UserInputException(file + ": shape " + shapeString(h.shape()) + " needs " + (4L * n >> 20)
                    + " MiB as float32, more than the Java heap has free (max " + (Runtime.getRuntime().maxMemory()
                    >> 20) + " MiB); give java a larger -Xmx");
        }
    }

    private static ByteBuffer chunkBuffer(int count, int size) {
        long bytes = Math.min((long) count * size, CHUNK);
        return ByteBuffer.allocateDirect((int) Math.max(bytes, 8)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads the next min(remaining, capacity) elements into {@code buf}, ready to read from 0; returns their count. */
    private static int fill(FileChannel ch, ByteBuffer buf, int remaining, int size, Path file)
            throws IOException {
        int k = Math.min(remaining, buf.capacity() / size);
        buf.clear().limit(k * size);
        readFully(ch, buf, file, "its data");
        return k;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, Path file, String what) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new UserInputException(file + ": truncated: the file ends inside " + what);
            }
        }
        buf.flip();
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.write(buf) == 0 && buf.hasRemaining()) {
                Thread.onSpinWait();
            }
        }
    }

    private static float[] transpose(float[] f, int[] shape) {
        if (shape.length < 2) {
            return f;
        }
        int rows = shape[0];
        int cols = shape[1];
        float[] c = new float[f.length];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                c[i * cols + j] = f[j * rows + i];
            }
        }
        return c;
    }

    private static short[] transpose(short[] f, int[] shape) {
        if (shape.length < 2) {
            return f;
        }
        int rows = shape[0];
        int cols = shape[1];
        short[] c = new short[f.length];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                c[i * cols + j] = f[j * rows + i];
            }
        }
        return c;
    }

    private static int[] transpose(int[] f, int[] shape) {
        if (shape.length < 2) {
            return f;
        }
        int rows = shape[0];
        int cols = shape[1];
        int[] c = new int[f.length];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                c[i * cols + j] = f[j * rows + i];
            }
        }
        return c;
    }

    private static byte[] transpose(byte[] f, int[] shape) {
        if (shape.length < 2) {
            return f;
        }
        int rows = shape[0];
        int cols = shape[1];
        byte[] c = new byte[f.length];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                c[i * cols + j] = f[j * rows + i];
            }
        }
        return c;
    }

    /** Parses the Python dict literal of a header: string keys; string, True/False or int-tuple values. */
    private static final class HeaderParser {
        private final String s;
        private final Path file;
        private int i;

        HeaderParser(String s, Path file) {
            this.s = s;
            this.file = file;
        }

        Map<String, Object> parse() throws UserInputException {
            Map<String, Object> map = new LinkedHashMap<>();
            skipSpace();
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    i++;
                    break;
                }
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                if (map.put(key, value()) != null) {
                    throw bad("duplicate key '" + key + "'");
                }
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else if (peek() != '}') {
                    throw bad("expected ',' or '}'");
                }
            }
            skipSpace();
            if (i != s.length()) {
                throw bad("unexpected text after the dict");
            }
            return map;
        }

        private Object value() throws UserInputException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') {
                throw bad("structured dtypes are not supported");
            }
            throw bad("unexpected value");
        }

        private int[] tuple() throws UserInputException {
            expect('(');
            int[] dims = new int[0];
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    i++;
                    return dims;
                }
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (start == i) {
                    throw bad("expected a non-negative integer in the shape");
                }
                if (i < s.length() && s.charAt(i) == 'L') {
                    i++; // Python 2 long literal, as old NumPy wrote it
                }
                long d;
                try {
                    d = Long.parseLong(s.substring(start, i).replace("L", ""));
                } catch (NumberFormatException e) {
                    d = Long.MAX_VALUE;
                }
                if (d > Integer.MAX_VALUE) {
                    throw bad("dimension " + s.substring(start, i) + " is too large");
                }
                dims = Arrays.copyOf(dims, dims.length + 1);
                dims[dims.length - 1] = (int) d;
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else if (peek() != ')') {
                    throw bad("expected ',' or ')' in the shape");
                }
            }
        }

        private String string() throws UserInputException {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw bad("expected a quoted string");
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw bad("unterminated string");
            }
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private void expect(char c) throws UserInputException {
            if (peek() != c) {
                throw bad("expected '" + c + "'");
            }
            i++;
        }

        private char peek() throws UserInputException {
            if (i >= s.length()) {
                throw bad("the header ends early");
            }
            return s.charAt(i);
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private UserInputException bad(String why) {
            String shown = s.strip();
            if (shown.length() > 120) {
                shown = shown.substring(0, 120) + "...";
            }
            shown = Npy.shown(shown);
            return new UserInputException(file + ": corrupt .npy header: " + Npy.shown(why) + " at character " + i
                    + " of " + shown);
        }
    }
}
