package io.softmaxcl.cli;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.CrossEntropy;
import io.softmaxcl.DType;
import io.softmaxcl.RowData;
import io.softmaxcl.Sampling;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.internal.HalfFloats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code softmax-cl run}: one operation over a {@code .npy} batch, written to a new {@code .npy}. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Computes an operation over every row of a NumPy .npy array and writes the result as .npy.",
            "Input: float32 ('<f4'), float64 ('<f8', computed in float32, written back as '<f8'), float16 ('<f2') or"
                + " bfloat16 bits ('<u2' with --dtype bf16); 1-D = one row, 2-D = rows x columns; C or Fortran order.",
            "Outputs are written to a temporary file and renamed into place: nothing is left behind on error."},
        footer = {"",
            "Examples:",
            "  softmax-cl run --op softmax --in logits.npy --out probs.npy",
            "  softmax-cl run --op log-softmax --temperature 0.7 --in x.npy --out y.npy",
            "  softmax-cl run --op masked-softmax --mask keep.npy --in x.npy --out y.npy",
            "  softmax-cl run --op cross-entropy --targets t.npy --reduction mean \\",
            "      --in logits.npy --out loss.npy --grad-out grad.npy",
            "  softmax-cl run --op sample --temperature 0.8 --top-k 50 --top-p 0.9 --seed 1 \\",
            "      --in logits.npy --out tokens.npy",
            "  softmax-cl run --op top-k --k 5 --in logits.npy --out values.npy --indices-out indices.npy",
            "  softmax-cl run --op softmax --dtype bf16 --out-dtype f32 --in logits_bf16.npy --out probs.npy",
            "",
            "Exit codes: 0 success; 2 bad input, bad options, or an unavailable backend (one line on stderr);"
                + " 1 an unexpected internal error."})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--op", required = true, paramLabel = "OP",
            description = "softmax, log-softmax, masked-softmax, cross-entropy; per row: argmax, sample (tokens as"
                    + " <i8 (rows,)), top-k (values (rows, k) in the input's type to --out, <i8 column indices to"
                    + " --indices-out), logsumexp, entropy ((rows,) in the input's type).")
    String op;

    @Option(names = "--backend", paramLabel = "BACKEND", defaultValue = "auto",
            description = "auto (OpenCL if usable, else the CPU), cpu, scalar (float64 reference) or opencl."
                    + " Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--device", paramLabel = "NAME",
            description = "OpenCL device: a substring of its name or platform, or P:D as 'devices' lists them.")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "CPU worker threads; 0 = all processors. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--in", required = true, paramLabel = "X.npy", description = "Input array (never modified).")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "Y.npy",
            description = "Output array; for cross-entropy the loss.")
    Path out;

    @Option(names = "--dtype", paramLabel = "T",
            description = "How --in is stored: f32 ('<f4' or '<f8'), f16 ('<f2') or bf16 (raw bfloat16 bits in a '<u2'"
                    + " file; NumPy has no bfloat16). Default: from the file; a '<u2' file needs --dtype bf16."
                    + " Arithmetic is float32 either way.")
    String dtype;

    @Option(names = "--out-dtype", paramLabel = "T",
            description = "f32, f16 or bf16 ('<f4', '<f2', '<u2') for --out and --grad-out. Default: the input's"
                    + " type.")
    String outDtype;

    @Option(names = "--temperature", paramLabel = "T",
            description = "softmax / log-softmax of x / T; T finite and > 0. sample: T >= 0, 0 = greedy"
                    + " (default 1).")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "sample: keep the K largest logits (ties kept).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "sample: nucleus mass P in (0, 1].")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "sample: drop p < P * p_max; P in [0, 1].")
    Float minP;

    @Option(names = "--seed", paramLabel = "S", description = "sample: Philox key (default 0).")
    Long seed;

    @Option(names = "--step", paramLabel = "N", description = "sample: decoding step, the Philox counter"
            + " (default 0).")
    Long step;

    @Option(names = "--k", paramLabel = "K", description = "top-k: how many values per row, 1 <= K <= columns.")
    Integer k;

    @Option(names = "--indices-out", paramLabel = "I.npy", description = "top-k: the <i8 column indices.")
    Path indicesOut;

    @Option(names = "--mask", paramLabel = "M.npy",
            description = "masked-softmax: bool/uint8/int8 array of the input's shape; 0 = drop. Without it only"
                    + " -Inf elements are dropped.")
    Path mask;

    @Option(names = "--targets", paramLabel = "T.npy",
            description = "cross-entropy: int32/int64 class index per row (1-D of length rows).")
    Path targets;

    @Option(names = "--reduction", paramLabel = "R", defaultValue = "mean",
            description = "cross-entropy: none (one loss per row), mean or sum. Default: ${DEFAULT-VALUE}.")
    String reduction;

    @Option(names = "--ignore-index", paramLabel = "I", defaultValue = "-100",
            description = "cross-entropy: rows with this target contribute nothing. Default: ${DEFAULT-VALUE}.")
    int ignoreIndex;

    @Option(names = "--label-smoothing", paramLabel = "E", defaultValue = "0",
            description = "cross-entropy: label smoothing in [0, 1]. Default: ${DEFAULT-VALUE}.")
    float labelSmoothing;

    @Option(names = "--grad-out", paramLabel = "G.npy",
            description = "cross-entropy: also write d(loss)/d(logits) for the chosen reduction (for none: of the"
                    + " summed losses).")
    Path gradOut;

    @Option(names = "--force", description = "Overwrite existing outputs, including --out equal to --in.")
    boolean force;

    @Option(names = {"-v", "--verbose"}, description = "Print the backend and device used, and the time, on stderr.")
    boolean verbose;

    private enum Op { SOFTMAX, LOG_SOFTMAX, MASKED_SOFTMAX, CROSS_ENTROPY, ARGMAX, SAMPLE, TOP_K, LOGSUMEXP, ENTROPY }

    @Override
    public Integer call() throws IOException {
        // Quiet on success: the library's informational lines (which backend auto chose, and why) need --verbose.
        Logger log = Logger.getLogger("io.softmaxcl");
        Level before = log.getLevel();
        log.setLevel(verbose ? Level.ALL : Level.WARNING);
        try {
            return execute();
        } finally {
            log.setLevel(before);
        }
    }

    private int execute() throws IOException {
        Op operation = parseOp();
        Backend requested = parseBackend();
        CrossEntropy.Reduction red = parseReduction();
        checkOptions(operation);
        checkPaths();

        long t0 = System.nanoTime();
        NpyType fileType = Npy.dtypeOf(in, "--in", EnumSet.of(NpyType.FLOAT32, NpyType.FLOAT64, NpyType.FLOAT16,
                NpyType.UINT16), "float32 ('<f4'), float64 ('<f8'), float16 ('<f2') or bfloat16 bits ('<u2' with"
                + " --dtype bf16)");
        DType inType = inputType(fileType);
        NpyType outNpy = outputType(fileType);
        DType outType = dtypeOf(outNpy);
        Npy.Floats x = inType == DType.F32 ? Npy.readFloats(in, "--in") : null;
        Npy.Shorts bits = inType == DType.F32 ? null : Npy.readShorts(in, "--in");
        int[] shape = x != null ? x.shape() : bits.shape();
        if (shape.length == 0) {
            throw new UserInputException(in + ": a 0-d scalar is not a row; expected 1-D (one row) or 2-D "
                    + "(rows × columns)");
        }
        int rows = shape.length == 1 ? 1 : shape[0];
        int cols = shape[shape.length - 1];
        byte[] keep = operation == Op.MASKED_SOFTMAX && mask != null ? readMask(shape) : null;
        if (operation == Op.CROSS_ENTROPY && cols == 0) {
            throw new UserInputException(in + ": shape " + Npy.shapeString(shape)
                    + " has no classes; cross-entropy needs at least one column (as in PyTorch)");
        }
        int[] classes = operation == Op.CROSS_ENTROPY ? readTargets(shape, rows) : null;
        if (operation == Op.TOP_K && k > cols) {
            throw new UserInputException("--k must be in [1, columns = " + cols + "] (got " + k + ")");
        }

        long t1 = System.nanoTime();
        long t2;
        String ranOn;
        // Half rows go through RowData (converted inside the passes) where the op takes it; otherwise they are
        // decoded exactly to float32 and every output is rounded once to --out-dtype when written.
        boolean rowData = (inType != DType.F32 || outType != DType.F32) && (operation == Op.SOFTMAX
                || operation == Op.LOG_SOFTMAX || operation == Op.MASKED_SOFTMAX
                || operation == Op.CROSS_ENTROPY && inType != DType.F32 && outType == inType);
        float[] data = x != null ? x.values() : rowData ? null : decode(inType, bits.values());
        Object result = data;
        float[] loss = null;
        int[] lossShape = null;
        int[] tokens = null;
        float[] topValues = null;
        try (SoftmaxEngine engine = openEngine(requested)) {
            ranOn = engine.backend().id() + " (" + engine.device() + ")";
            t2 = System.nanoTime();
            if (rowData) {
                RowData inRows = x != null ? RowData.of(data, 0) : RowData.of(bits.values(), 0, inType);
                result = outType == inType ? (x != null ? data : bits.values())
                        : outType == DType.F32 ? new float[rows * cols] : new short[rows * cols];
                RowData outRows = result instanceof float[] f ? RowData.of(f, 0) : RowData.of((short[]) result, 0,
                        outType);
                switch (operation) {
                    case SOFTMAX -> {
                        if (temperature == null) {
                            engine.softmax(inRows, outRows, rows, cols);
                        } else {
                            engine.softmax(inRows, outRows, rows, cols, temperature);
                        }
                    }
                    case LOG_SOFTMAX -> {
                        if (temperature == null) {
                            engine.logSoftmax(inRows, outRows, rows, cols);
                        } else {
                            engine.logSoftmax(inRows, outRows, rows, cols, temperature);
                        }
                    }
                    case MASKED_SOFTMAX -> engine.maskedSoftmax(inRows, keep, 0, outRows, rows, cols);
                    default -> {   // cross-entropy, the gradient written over the half logits in their type
                        CrossEntropy options = new CrossEntropy(red, ignoreIndex, labelSmoothing, gradOut != null);
                        float[] rowLoss = new float[rows];
                        float reduced;
                        try {
                            reduced = engine.crossEntropy(inRows, rows, cols, classes, 0, options, rowLoss);
                        } catch (IllegalArgumentException e) {
                            throw new UserInputException(targets + ": " + e.getMessage());
                        }
                        loss = red == CrossEntropy.Reduction.NONE ? rowLoss : new float[] {reduced};
                        lossShape = red != CrossEntropy.Reduction.NONE || shape.length == 1 ? new int[0]
                                : new int[] {rows};
                    }
                }
            } else switch (operation) {
                case SOFTMAX -> {
                    if (temperature == null) {
                        engine.softmax(data, 0, data, 0, rows, cols);
                    } else {
                        engine.softmax(data, 0, data, 0, rows, cols, temperature);
                    }
                }
                case LOG_SOFTMAX -> {
                    if (temperature == null) {
                        engine.logSoftmax(data, 0, data, 0, rows, cols);
                    } else {
                        engine.logSoftmax(data, 0, data, 0, rows, cols, temperature);
                    }
                }
                case MASKED_SOFTMAX -> engine.maskedSoftmax(data, 0, keep, 0, data, 0, rows, cols);
                case CROSS_ENTROPY -> {
                    CrossEntropy options = new CrossEntropy(red, ignoreIndex, labelSmoothing, gradOut != null);
                    float[] rowLoss = new float[rows];
                    float reduced;
                    try {
                        reduced = engine.crossEntropy(data, 0, rows, cols, classes, 0, options, rowLoss);
                    } catch (IllegalArgumentException e) {
                        throw new UserInputException(targets + ": " + e.getMessage());
                    }
                    if (red == CrossEntropy.Reduction.NONE) {
                        loss = rowLoss;
                        lossShape = shape.length == 1 ? new int[0] : new int[] {rows};
                    } else {
                        loss = new float[] {reduced};
                        lossShape = new int[0];
                    }
                }
                case ARGMAX -> {
                    tokens = new int[rows];
                    engine.argmax(data, 0, rows, cols, tokens, 0);
                }
                case SAMPLE -> {
                    tokens = new int[rows];
                    engine.sample(data, 0, rows, cols, sampling(), tokens, 0);
                }
                case TOP_K -> {
                    topValues = new float[rows * k];
                    tokens = new int[rows * k];
                    engine.topK(data, 0, rows, cols, k, topValues, tokens, null);
                }
                case LOGSUMEXP -> {
                    loss = new float[rows];
                    engine.logSumExp(data, 0, rows, cols, loss, 0);
                }
                case ENTROPY -> {
                    loss = new float[rows];
                    engine.entropy(data, 0, rows, cols, loss, 0);
                }
                default -> throw new IllegalStateException(operation.toString());
            }
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        long t3 = System.nanoTime();

        if (operation == Op.ARGMAX || operation == Op.SAMPLE) {
            writeTokens(out, new int[] {rows}, tokens);
        } else if (operation == Op.TOP_K) {
            writeOutputs(out, new int[] {rows, k}, topValues, null, null, null, outNpy);
            writeTokens(indicesOut, new int[] {rows, k}, tokens);
        } else if (operation == Op.LOGSUMEXP || operation == Op.ENTROPY) {
            writeOutputs(out, new int[] {rows}, loss, null, null, null, outNpy);
        } else if (operation == Op.CROSS_ENTROPY) {
            writeOutputs(out, lossShape, loss, gradOut, shape, gradOut == null ? null : rowData ? bits.values() : data,
                    outNpy);
        } else {
            writeOutputs(out, shape, result, null, null, null, outNpy);
        }
        if (verbose) {
            SignalChainingRelaunch.relaunchedBecause()
                    .ifPresent(why -> spec.commandLine().getErr().println("softmax-cl: " + why));
            spec.commandLine().getErr().printf(Locale.ROOT,
                    "softmax-cl: %s of %s %s on %s: read %.1f ms, open %.1f ms, compute %.1f ms, write %.1f ms%n",
                    op, Npy.shapeString(shape), fileType.descr + (inType == DType.BF16 ? " (bf16)" : ""), ranOn,
                    (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                    (t3 - t2) / 1e6, (System.nanoTime() - t3) / 1e6);
        }
        return 0;
    }

    /** The input's storage type from the file's dtype and {@code --dtype}; a mismatch is one line. */
    private DType inputType(NpyType fileType) throws UserInputException {
        if (dtype == null) {
            if (fileType == NpyType.UINT16) {
                throw new UserInputException(in + ": dtype '<u2' (uint16) is read only as bfloat16 bits: pass"
                        + " --dtype bf16 if that is what it holds");
            }
            return fileType == NpyType.FLOAT16 ? DType.F16 : DType.F32;
        }
        DType t = parseDtype("--dtype", dtype);
        NpyType needs = t == DType.F16 ? NpyType.FLOAT16 : t == DType.BF16 ? NpyType.UINT16 : null;
        boolean ok = needs == null ? fileType == NpyType.FLOAT32 || fileType == NpyType.FLOAT64 : fileType == needs;
        if (!ok) {
            throw new UserInputException("--dtype " + dtype.trim() + " reads "
                    + (t == DType.F32 ? "a '<f4' or '<f8'" : t == DType.F16 ? "a '<f2'"
                    : "raw bfloat16 bits from a '<u2'")
                    + " file, but " + in + " holds '" + fileType.descr + "'"
                    + (fileType == NpyType.UINT16 ? " (use --dtype bf16)" : fileType == NpyType.FLOAT16
                    ? " (use --dtype f16 or leave it out)" : " (leave --dtype out)"));
        }
        return t;
    }

    /** The .npy dtype of --out and --grad-out: {@code --out-dtype}, or the input file's own. */
    private NpyType outputType(NpyType fileType) throws UserInputException {
        if (outDtype == null) {
            return fileType;
        }
        return switch (parseDtype("--out-dtype", outDtype)) {
            case F32 -> NpyType.FLOAT32;
            case F16 -> NpyType.FLOAT16;
            case BF16 -> NpyType.UINT16;
        };
    }

    private static DType dtypeOf(NpyType t) {
        return t == NpyType.FLOAT16 ? DType.F16 : t == NpyType.UINT16 ? DType.BF16 : DType.F32;
    }

    private static DType parseDtype(String option, String text) throws UserInputException {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new UserInputException("unknown " + option + " '" + text + "': expected f32, f16 or bf16");
        };
    }

    private static float[] decode(DType type, short[] bits) {
        float[] f = new float[bits.length];
        HalfFloats.decode(type, bits, 0, f, 0, bits.length);
        return f;
    }

    private Op parseOp() throws UserInputException {
        return switch (op.trim().toLowerCase(Locale.ROOT)) {
            case "softmax" -> Op.SOFTMAX;
            case "log-softmax", "log_softmax", "logsoftmax" -> Op.LOG_SOFTMAX;
            case "masked-softmax", "masked_softmax" -> Op.MASKED_SOFTMAX;
            case "cross-entropy", "cross_entropy" -> Op.CROSS_ENTROPY;
            case "argmax" -> Op.ARGMAX;
            case "sample" -> Op.SAMPLE;
            case "top-k", "top_k", "topk" -> Op.TOP_K;
            case "logsumexp", "log-sum-exp" -> Op.LOGSUMEXP;
            case "entropy" -> Op.ENTROPY;
            default -> throw new UserInputException("unknown --op '" + op + "': expected softmax, log-softmax,"
                    + " masked-softmax, cross-entropy, argmax, sample, top-k, logsumexp or entropy");
        };
    }

    private Backend parseBackend() throws UserInputException {
        try {
            return Backend.parse(backend);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--backend: " + e.getMessage());
        }
    }

    private CrossEntropy.Reduction parseReduction() throws UserInputException {
        return switch (reduction.trim().toLowerCase(Locale.ROOT)) {
            case "none" -> CrossEntropy.Reduction.NONE;
            case "mean" -> CrossEntropy.Reduction.MEAN;
            case "sum" -> CrossEntropy.Reduction.SUM;
            default -> throw new UserInputException("unknown --reduction '" + reduction
                    + "': expected none, mean or sum");
        };
    }

    private void checkOptions(Op operation) throws UserInputException {
        boolean ce = operation == Op.CROSS_ENTROPY;
        boolean sample = operation == Op.SAMPLE;
        if (temperature != null && operation != Op.SOFTMAX && operation != Op.LOG_SOFTMAX && !sample) {
            throw new UserInputException("--temperature applies only to --op softmax, log-softmax and sample");
        }
        for (String name : new String[] {"--top-k", "--top-p", "--min-p", "--seed", "--step"}) {
            if (!sample && typed(name)) {
                throw new UserInputException(name + " applies only to --op sample");
            }
        }
        if (sample) {
            sampling(); // one clear line for a bad T, k, p or min-p before any file is read
        }
        if ((k != null || indicesOut != null) != (operation == Op.TOP_K)
                || operation == Op.TOP_K && (k == null || indicesOut == null)) {
            throw new UserInputException(operation == Op.TOP_K
                    ? "--op top-k needs --k K (>= 1) and --indices-out I.npy"
                    : "--k and --indices-out apply only to --op top-k");
        }
        if (k != null && k < 1) {
            throw new UserInputException("--k must be >= 1 (got " + k + ")");
        }
        if (sample && topK != null && topK < 1) {
            throw new UserInputException("--top-k must be >= 1 (got " + topK + ")");
        }
        if (temperature != null && !sample && !(temperature > 0 && Float.isFinite(temperature))) {
            throw new UserInputException("--temperature must be finite and > 0 (got " + temperature + ")");
        }
        if (mask != null && operation != Op.MASKED_SOFTMAX) {
            throw new UserInputException("--mask applies only to --op masked-softmax");
        }
        if (!ce) {
            for (String name : new String[] {"--targets", "--reduction", "--ignore-index", "--label-smoothing",
                "--grad-out"}) {
                if (typed(name)) {
                    throw new UserInputException(name + " applies only to --op cross-entropy");
                }
            }
        } else if (targets == null) {
            throw new UserInputException("--op cross-entropy needs --targets T.npy (one class index per row)");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new UserInputException("--label-smoothing must be in [0, 1] (got " + labelSmoothing + ")");
        }
        if (threads < 0) {
            throw new UserInputException("--threads must be >= 0 (got " + threads + "); 0 means all processors");
        }
    }

    private void checkPaths() throws IOException {
        if (sameFile(in, out) && !force) {
            throw new UserInputException("--out " + out + " is the input file; use --force to replace it");
        }
        AtomicOutput.checkWritable(out, force);
        if (indicesOut != null) {
            if (sameFile(indicesOut, out) || sameFile(indicesOut, in) && !force) {
                throw new UserInputException("--indices-out " + indicesOut + " is --out or the input file");
            }
            AtomicOutput.checkWritable(indicesOut, force);
        }
        if (gradOut != null) {
            if (sameFile(gradOut, out)) {
                throw new UserInputException("--grad-out and --out are the same file: " + out);
            }
            if (sameFile(in, gradOut) && !force) {
                throw new UserInputException("--grad-out " + gradOut + " is the input file; use --force to replace"
                        + " it");
            }
            AtomicOutput.checkWritable(gradOut, force);
        }
        for (Path p : new Path[] {mask, targets}) {
            if (p != null && (sameFile(p, out) || gradOut != null && sameFile(p, gradOut))) {
                throw new UserInputException("an output would replace an input file: " + p);
            }
        }
    }

    private static boolean sameFile(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private byte[] readMask(int[] shape) throws IOException {
        Npy.Bytes m = Npy.readBytes(mask, "--mask");
        if (!Arrays.equals(m.shape(), shape)) {
            throw new UserInputException(mask + ": --mask shape " + Npy.shapeString(m.shape())
                    + " does not match the input shape " + Npy.shapeString(shape));
        }
        return m.values();
    }

    private int[] readTargets(int[] shape, int rows) throws IOException {
        Npy.Ints t = Npy.readInts(targets, "--targets");
        int[] ts = t.shape();
        boolean ok = shape.length == 1 ? ts.length == 0 || ts.length == 1 && ts[0] == 1
                : ts.length == 1 && ts[0] == rows;
        if (!ok) {
            throw new UserInputException(targets + ": --targets shape " + Npy.shapeString(ts) + " does not match "
                    + (shape.length == 1 ? "one row: expected () or (1,)" : rows + " rows: expected (" + rows + ",)"));
        }
        return t.values();
    }

    private SoftmaxEngine openEngine(Backend requested) throws UserInputException {
        try {
            return SoftmaxEngine.builder().backend(requested).device(device).threads(threads).build();
        } catch (BackendUnavailableException e) {
            throw new UserInputException("--backend " + requested.id() + " is not available: " + e.getMessage());
        }
    }

    private Sampling sampling() throws UserInputException {
        try {
            Sampling s = Sampling.temperature(temperature == null ? 1f : temperature)
                    .withTopK(topK == null ? 0 : topK).withTopP(topP == null ? 1f : topP)
                    .withMinP(minP == null ? 0f : minP);
            return s.withSeed(seed == null ? 0 : seed).withStep(step == null ? 0 : step);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--" + e.getMessage().replaceFirst("^topK", "top-k")
                    .replaceFirst("^topP", "top-p").replaceFirst("^minP", "min-p"));
        }
    }

    private void writeTokens(Path target, int[] shape, int[] values) throws IOException {
        try (AtomicOutput o = AtomicOutput.open(target, force)) {
            try {
                Npy.writeInt64(o.channel(), shape, values);
                o.flush();
            } catch (IOException e) {
                throw new IOException("writing " + target + ": " + e.getMessage(), e);
            }
            o.commit();
        }
    }

    /** Writes one or two outputs; neither target changes unless both were written completely. */
    private void writeOutputs(Path first, int[] firstShape, Object firstData, Path second, int[] secondShape,
                        Object secondData, NpyType type) throws IOException {
        try (AtomicOutput a = AtomicOutput.open(first, force);
             AtomicOutput b = second == null ? null : AtomicOutput.open(second, force)) {
            write(a, first, firstShape, firstData, type);
            if (b != null) {
                write(b, second, secondShape, secondData, type);
                b.commit();
            }
            a.commit();
        }
    }

    /** {@code data} is a float[] (rounded once to a half {@code type} here) or the half bits of {@code type}. */
    private static void write(AtomicOutput o, Path target, int[] shape, Object data, NpyType type)
            throws IOException {
        try {
            if (data instanceof short[] halfBits) {
                Npy.writeShorts(o.channel(), shape, halfBits, type);
            } else if (type == NpyType.FLOAT16 || type == NpyType.UINT16) {
                float[] f = (float[]) data;
                short[] h = new short[f.length];
                HalfFloats.encode(dtypeOf(type), f, 0, h, 0, f.length);
                Npy.writeShorts(o.channel(), shape, h, type);
            } else {
                Npy.writeFloats(o.channel(), shape, (float[]) data, type);
            }
            o.flush();
        } catch (UserInputException e) {
            throw e;
        } catch (IOException e) {
            // Name the file: "No space left on device" alone does not say which output failed.
            throw new IOException("writing " + target + ": " + e.getMessage(), e);
        }
    }

    /** Whether the user typed this option (picocli fills in defaults, so the value alone cannot tell). */
    private boolean typed(String name) {
        return spec.commandLine().getParseResult().hasMatchedOption(name);
    }
}
