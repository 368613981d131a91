package io.softmaxcl.cli;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.DType;
import io.softmaxcl.internal.Backends;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.DeviceBenchmark;
import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.cpu.CpuBackends;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code softmax-cl bench}: times each backend on each shape against this machine's copy speed. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Times softmax (or another op) per backend and shape: warm-up, then time-bounded repetitions; prints",
            "the median per call, GB/s, the fraction of the copy speed of light (the time this machine needs to copy",
            "the same bytes, measured in the same run) and the speedup over the CPU backend. A device also reports",
            "kernel-only time on resident data against its own buffer copy.",
            "Default shapes: 1x32000,32x32000,8x128256,64x151936,4096x1000,65536x10,1x1048576,512x50257."})
final class BenchCommand implements Callable<Integer> {

    /** Interleaved rounds when several --dtype values are compared. */
    static final int DTYPE_ROUNDS = 5;

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", split = ",", paramLabel = "B",
            description = "cpu, opencl, scalar or all (default all; all skips OpenCL, saying why, when it is unusable)")
    List<String> backends = List.of("all");

    @Option(names = "--op", split = ",", paramLabel = "OP",
            description = "softmax (default), log-softmax, masked-softmax, cross-entropy (loss and gradient in place),"
                    + " cross-entropy-loss, softmax-backward, log-softmax-backward, sample (top-k 50, top-p 0.9),"
                    + " sample-unfused (its softmax-then-sort baseline); several separated by commas")
    List<String> ops = List.of("softmax");

    @Option(names = "--shapes", split = ",", paramLabel = "RxC",
            description = "shapes as ROWSxCOLS separated by commas; 'standard' is the default set")
    List<String> shapes = List.of("standard");

    @Option(names = "--dtype", split = ",", paramLabel = "T",
            description = "row storage, input and output: f32 (default), f16, bf16; several separated by commas are"
                    + " timed one after another per shape and backend, with rows/s and the ratio to f32")
    List<String> dtypes = List.of("f32");

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all processors)")
    int threads;

    @Option(names = "--device", paramLabel = "SEL", description = "OpenCL device: a name substring or P:D indices")
    String device;

    @Option(names = "--warmup", paramLabel = "MS", description = "warm-up per backend and shape, ms (default 800)")
    long warmupMs = 800;

    @Option(names = "--time", paramLabel = "MS",
            description = "timed repetitions per backend and shape stop after about this long, ms (default 1500)")
    long timeMs = 1500;

    @Option(names = "--reps", paramLabel = "N",
            description = "exactly N timed repetitions instead of a time budget (default 0: time-bounded, 5 to 2000)")
    int reps;

    @Option(names = "--json", paramLabel = "FILE", description = "write one record per backend, op and shape")
    Path json;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "draw GB/s per shape and backend as a PNG")
    Path chart;

    @Option(names = "--no-progress", description = "no progress bar or progress lines on stderr")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        if (threads < 0 || warmupMs < 0 || timeMs < 0 || reps < 0) {
            throw new UserInputException("--threads, --warmup, --time and --reps must not be negative");
        }
        List<BenchShape> shapeList = parse(() -> BenchShape.parseList(shapes));
        List<BenchOp> opList = parse(() -> List.copyOf(new LinkedHashSet<>(ops.stream().map(BenchOp::parse).toList())));
        Set<Backend> wanted = parse(this::wantedBackends);
        List<DType> dtypeList = parse(() -> List.copyOf(new LinkedHashSet<>(dtypes.stream().map(BenchCommand::dtype)
                .toList())));
        if (!dtypeList.equals(List.of(DType.F32))) {   // a half op that cannot be timed fails now, not after minutes
            for (BenchOp op : opList) {
                for (DType dtype : dtypeList) {
                    parse(() -> op.prepare(new BenchShape(1, 1), dtype));
                }
            }
        }
        requireDirectoryFor(json);
        requireDirectoryFor(chart);
        boolean all = backends.stream().anyMatch(b -> b.trim().equalsIgnoreCase("all"));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        EngineConfig config = new EngineConfig(device, threads);
        BenchRun run = BenchRun.describe(config.effectiveThreads(), commandLine());
        if (!run.vectorModule() && wanted.contains(Backend.CPU)) {
            err.println("bench: note: jdk.incubator.vector is not loaded (start java with --add-modules"
                    + " jdk.incubator.vector); the cpu backend cannot use the Vector API");
        }
        BenchSampler sampler = new BenchSampler(TimeUnit.MILLISECONDS.toNanos(warmupMs),
                TimeUnit.MILLISECONDS.toNanos(timeMs), 5, 2000, reps);

        List<Opened> open = new ArrayList<>();
        try (CopyProbe copyProbe = new CopyProbe(config.effectiveThreads())) {
            for (Backend b : wanted) {
                try {
                    open.add(new Opened(b.id(), Backends.open(b, config)));
                } catch (BackendUnavailableException e) {
                    if (!all) {
                        throw e;
                    }
                    err.println("bench: skipping " + b.id() + ": " + e.getMessage());
                }
            }
            List<BenchResult> results = new ArrayList<>();
            boolean preWarm = sampler.warmupNs() > 0;
            try (Progress progress = Progress.start(err, !noProgress,
                    (long) shapeList.size() * opList.size() * dtypeList.size() * (open.size() + 1)
                            * (dtypeList.size() > 1 ? DTYPE_ROUNDS : 1)
                            + (preWarm ? open.size() : 0))) {
                if (preWarm) {
                    for (Opened b : open) {
                        progress.step("warm-up " + b.id());
                        preWarm(b.backend(), opList, shapeList, dtypeList, 5 * sampler.warmupNs() / 2);
                    }
                }
                for (BenchOp op : opList) {
                    for (BenchShape shape : shapeList) {
                        results.addAll(measureTypes(op, shape, dtypeList, open, copyProbe, sampler, config,
                                progress));
                    }
                }
            }
            results = BenchResult.withCpuReference(results);
            out.print(BenchTable.render(run, results));
            printTransfers(open, shapeList, sampler, out);
            out.flush();
            if (json != null) {
                BenchJson.write(json, run, results);
                err.println("bench: wrote " + json);
            }
            if (chart != null) {
                BenchChart.write(chart, run, results);
                err.println("bench: wrote " + chart);
            }
        } finally {
            for (Opened b : open) {
                b.backend().close();
            }
        }
        return 0;
    }

    /** A backend as requested ({@code id}: the name the user asked for) and as opened. */
    private record Opened(String id, ComputeBackend backend) {
    }

    /**
     * One storage type: as before. Several: {@value #DTYPE_ROUNDS} interleaved rounds, each type timed for a share
     * of the budget in every round and the samples pooled, so that a load change on this shared machine hits every
     * type alike and the ratios stay meaningful.
     */
    private List<BenchResult> measureTypes(BenchOp op, BenchShape shape, List<DType> types, List<Opened> open,
                                           CopyProbe copyProbe, BenchSampler sampler, EngineConfig config,
                                           Progress progress) throws UserInputException {
        if (types.size() == 1) {
            return measure(op, shape, types.get(0), open, copyProbe, sampler, config, progress);
        }
        BenchSampler slice = sampler.scaled(1.0 / DTYPE_ROUNDS);
        List<List<BenchResult>> rounds = new ArrayList<>();
        for (int round = 0; round < DTYPE_ROUNDS; round++) {
            for (DType type : types) {
                rounds.add(measure(op, shape, type, open, copyProbe, slice, config, progress));
            }
        }
        List<BenchResult> merged = new ArrayList<>();
        for (int t = 0; t < types.size(); t++) {
            for (int b = 0; b < rounds.get(t).size(); b++) {
                BenchResult first = rounds.get(t).get(b);
                List<long[]> samples = new ArrayList<>();
                for (int round = 0; round < DTYPE_ROUNDS; round++) {
                    samples.add(rounds.get(round * types.size() + t).get(b).timings().sortedNs());
                }
                long[] all = samples.stream().flatMapToLong(java.util.Arrays::stream).toArray();
                merged.add(new BenchResult(first.backend(), first.device(), op, shape, first.threads(),
                        BenchTimings.of(all).withWarmup(first.timings().warmupNs()), first.kernel(), first.copy(),
                        first.deviceCopy(), null, first.dtype()));
            }
        }
        return merged;
    }

    private List<BenchResult> measure(BenchOp op, BenchShape shape, DType dtype, List<Opened> open,
                                      CopyProbe copyProbe, BenchSampler sampler, EngineConfig config,
                                      Progress progress) throws UserInputException {
        try {
            return measureOrFail(op, shape, dtype, open, copyProbe, sampler, config, progress);
        } catch (OutOfMemoryError e) {
            throw new UserInputException("not enough Java heap for " + op.id() + " on " + shape + " (about "
                    + 2 * shape.elements() * op.bytesPerElement() / (1 << 20) + " MiB of arrays): raise -Xmx");
        }
    }

    private List<BenchResult> measureOrFail(BenchOp op, BenchShape shape, DType dtype, List<Opened> open,
                                            CopyProbe copyProbe, BenchSampler sampler, EngineConfig config,
                                            Progress progress) {
        BenchOp.Workload workload = op.prepare(shape, dtype);
        long bytes = shape.elements() * op.bytesPerElement(dtype);
        progress.step("copy " + shape);
        CopyProbe.Result copy = copyProbe.measure(bytes, sampler.scaled(0.5));
        List<BenchResult> results = new ArrayList<>();
        for (Opened opened : open) {
            String id = opened.id();
            ComputeBackend backend = opened.backend();
            progress.step(id + " " + op.id() + " " + shape + (dtype == DType.F32 ? "" : " " + label(dtype)));
            BenchTimings timings = sampler.sample(() -> workload.run(backend));
            if (timings.jitStillBusy(sampler)) {
                progress.note("the JIT was still compiling after the warm-up of " + id + " " + op.id() + " "
                        + shape + "; its times may be too slow");
            }
            BenchTimings kernel = null;
            BenchTimings deviceCopy = null;
            DeviceBenchmark device = backend.deviceBenchmark().orElse(null);
            if (device != null) {   // device kernels on rows stored as dtype, in and out
                if (op.kernelOp() != null) {
                    kernel = deviceTimes(sampler, (w, n) -> device.kernelTimes(op.kernelOp(), dtype, shape.rows(),
                            shape.cols(), w, n));
                } else if (op == BenchOp.SAMPLE && device.sampleTimes(shape.rows(), shape.cols(), 0, 1) != null) {
                    // DeviceBatch.sample on resident logits: the kernel, 24 B of parameters per row, the tokens
                    kernel = deviceTimes(sampler, (w, n) -> device.sampleTimes(shape.rows(), shape.cols(), w, n));
                }
                // The device's own copy of bytes/2 moves the same bytes as the operation (a read and a write).
                deviceCopy = deviceTimes(sampler.scaled(0.5), (w, n) -> device.copyTimes(bytes / 2, w, n));
            }
            Integer threadCount = switch (id) {
                case "scalar" -> 1;
                case "cpu" -> config.effectiveThreads();
                default -> null;
            };
            results.add(new BenchResult(id, backend.device(), op, shape, threadCount, timings, kernel, copy,
                    deviceCopy, null, dtype));
        }
        return results;
    }

    /**
     * Runs every op on a backend over small shapes of each kind (many short rows, medium rows, one long row, and
     * the run's own shapes up to a million elements) in rotation, so that the JIT compiles every kernel from a
     * rich profile before the first measurement. Without it the first shape measured could still be running
     * C1 code after its own warm-up: C2 needs hundreds of calls of each kernel method.
     */
    private static void preWarm(ComputeBackend backend, List<BenchOp> ops, List<BenchShape> shapes,
                                List<DType> dtypes, long ns) {
        if (backend.kind() == Backend.CPU) {
            // CPU backends compute with scalar kernels until the vector ones are compiled: time the steady state.
            try {
                CpuBackends.awaitVectorKernels(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<BenchShape> small = new ArrayList<>(List.of(new BenchShape(1024, 10), new BenchShape(64, 1000),
                new BenchShape(1, 32000), new BenchShape(2, 65536)));
        shapes.stream().filter(s -> s.elements() <= 1 << 20 && !small.contains(s)).forEach(small::add);
        List<BenchOp.Workload> workloads = new ArrayList<>();
        for (BenchOp op : ops) {
            for (BenchShape shape : small) {
                for (DType dtype : dtypes) {
                    workloads.add(op.prepare(shape, dtype));
                }
            }
        }
        long end = System.nanoTime() + ns;
        while (System.nanoTime() < end) {
            for (BenchOp.Workload w : workloads) {
                w.run(backend);
            }
        }
    }

    /** Device-timed repetitions: a short call estimates the time per call, then the budget sets the count. */
    /**
     * Each device's host-to-device and device-to-host bandwidth, for the largest shape's float32 input (at most
     * 64 MiB): what every end-to-end call pays on top of its kernel.
     */
    private static void printTransfers(List<Opened> open, List<BenchShape> shapes, BenchSampler sampler,
                                       PrintWriter out) {
        long bytes = Math.min(64L << 20, 4 * shapes.stream().mapToLong(BenchShape::elements).max().orElse(1));
        for (Opened opened : open) {
            DeviceBenchmark device = opened.backend().deviceBenchmark().orElse(null);
            if (device == null) {
                continue;
            }
            BenchTimings up = deviceTimes(sampler.scaled(0.5), (w, n) -> device.transferTimes(bytes, true, w, n));
            BenchTimings down = deviceTimes(sampler.scaled(0.5), (w, n) -> device.transferTimes(bytes, false, w, n));
            String size = bytes < 1 << 20 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
            out.printf(Locale.ROOT, "%n%s transfers of %s (float[] <-> device, blocking, median): host->device"
                    + " %.1f GB/s (%s), device->host %.1f GB/s (%s)%n", opened.id(), size,
                    (double) bytes / up.median(), BenchTable.time(up.median()), (double) bytes / down.median(),
                    BenchTable.time(down.median()));
        }
    }

    private static BenchTimings deviceTimes(BenchSampler sampler, DeviceTimer timer) {
        BenchTimings estimate = BenchTimings.of(timer.times(2, 3));
        int warmup = (int) Math.max(1, Math.min(1000, sampler.warmupNs() / Math.max(1, estimate.median())));
        return BenchTimings.of(timer.times(warmup, sampler.reps(estimate.median())));
    }

    private interface DeviceTimer {
        long[] times(int warmup, int reps);
    }

    private static DType dtype(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("unknown --dtype '" + text + "': expected f32, f16 or bf16");
        };
    }

    /** The CLI's name of a storage type: f32, f16, bf16. */
    static String label(DType dtype) {
        return dtype.name().toLowerCase(Locale.ROOT);
    }

    private Set<Backend> wantedBackends() {
        Set<Backend> wanted = new LinkedHashSet<>();
        for (String name : backends) {
            String b = name.trim().toLowerCase(Locale.ROOT);
            switch (b) {
                case "all" -> {
                    wanted.add(Backend.CPU);
                    wanted.add(Backend.OPENCL);
                    wanted.add(Backend.SCALAR);
                }
                case "cpu" -> wanted.add(Backend.CPU);
                case "opencl" -> wanted.add(Backend.OPENCL);
                case "scalar" -> wanted.add(Backend.SCALAR);
                default -> throw new IllegalArgumentException(
                        "unknown backend '" + name + "': expected cpu, opencl, scalar or all");
            }
        }
        if (wanted.isEmpty()) {
            throw new IllegalArgumentException("no backend given");
        }
        return wanted;
    }

    /** Fails before a run of minutes rather than after it when an output could not be written. */
    private static void requireDirectoryFor(Path file) throws UserInputException {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UserInputException("no such directory for " + file + ": " + parent);
        }
    }

    private String commandLine() {
        return "softmax-cl " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    private interface Parser<T> {
        T get();
    }

    private static <T> T parse(Parser<T> parser) throws UserInputException {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    /** A progress bar on an interactive terminal, one line per step otherwise, or nothing. */
    private static final class Progress implements AutoCloseable {
        private final PrintWriter err;
        private final ProgressBar bar;
        private final boolean lines;
        private final long total;
        private long done;

        private Progress(PrintWriter err, ProgressBar bar, boolean lines, long total) {
            this.err = err;
            this.bar = bar;
            this.lines = lines;
            this.total = total;
        }

        static Progress start(PrintWriter err, boolean enabled, long total) {
            if (!enabled) {
                return new Progress(err, null, false, total);
            }
            // The bar redraws with carriage returns, which garble a log file: only on a terminal.
            if (System.console() == null) {
                return new Progress(err, null, true, total);
            }
            ProgressBar bar = new ProgressBarBuilder().setTaskName("bench").setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err, 100)).build();
            return new Progress(err, bar, false, total);
        }

        void step(String what) {
            if (bar != null) {
                if (done > 0) {
                    bar.step();
                }
                bar.setExtraMessage(what);
            } else if (lines) {
                err.println("bench: [" + (done + 1) + "/" + total + "] " + what);
                err.flush();
            }
            done++;
        }

        /** A line that must reach the user whatever the progress setting. */
        void note(String message) {
            err.println("bench: note: " + message);
            err.flush();
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.stepTo(total);
                bar.close();
            }
        }
    }
}
