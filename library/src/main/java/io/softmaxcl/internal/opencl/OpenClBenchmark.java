package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.internal.DeviceBenchmark;
import io.softmaxcl.internal.RowOp;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_mem;

import java.util.SplittableRandom;

/**
 * An {@link OpenClBackend}'s own timings, for {@code bench} and AUTO's {@link OffloadRule}: kernels on data already
 * on the device (in any storage type), device-to-device copies, and blocking transfers between a Java array and
 * the device. Each takes the backend's lock and uses its scratch buffers.
 */
final class OpenClBenchmark implements DeviceBenchmark {

    private final OpenClBackend b;

    OpenClBenchmark(OpenClBackend backend) {
        this.b = backend;
    }

    @Override
    public long[] kernelTimes(RowOp op, DType type, int rows, int cols, int warmup, int reps) {
        return kernelTimes(op, new Storage(type, type), rows, cols, warmup, reps);
    }

    /** As {@link #kernelTimes(RowOp, DType, int, int, int, int)} for any input and output storage. */
    long[] kernelTimes(RowOp op, Storage st, int rows, int cols, int warmup, int reps) {
        b.lock.lock();
        try {
            b.ensureOpen();
            long n = (long) rows * cols;
            cl_mem x = b.session.bufA.ensure(n * st.xBytes());
            cl_mem y = b.session.bufB.ensure(n * st.yBytes());
            boolean hasMask = op == RowOp.MASKED_SOFTMAX;
            cl_mem m = b.session.bufMask.ensure(hasMask ? n : 1);
            fillRandom(x, n, st.x());
            if (hasMask) {
                byte[] ones = new byte[(int) Math.min(n, 1 << 24)];
                java.util.Arrays.fill(ones, (byte) 1);
                for (long off = 0; off < n; off += ones.length) {
                    long len = Math.min(ones.length, n - off);
                    Cl.check(CL.clEnqueueWriteBuffer(b.session.queue(), m, CL.CL_TRUE, off, len, Pointer.to(ones), 0, null,
                            null), "clEnqueueWriteBuffer");
                }
            }
            KernelArgs.Rows args = new KernelArgs.Rows(x, y, rows, cols, op, 1f, m, hasMask, st);
            KernelPlan plan = b.tunedPlan(rows, args);
            java.util.List<Launch> launch = b.launches.forward(plan, args);
            return timed(warmup, reps, () -> {
                b.launches.enqueue(launch);
                Cl.finish(b.session.queue());
            });
        } finally {
            b.lock.unlock();
        }
    }

    @Override
    public long[] copyTimes(long bytes, int warmup, int reps) {
        b.lock.lock();
        try {
            b.ensureOpen();
            cl_mem src = b.session.bufA.ensure(bytes);
            cl_mem dst = b.session.bufB.ensure(bytes);
            return timed(warmup, reps, () -> {
                Cl.check(CL.clEnqueueCopyBuffer(b.session.queue(), src, dst, 0, 0, bytes, 0, null, null), "clEnqueueCopyBuffer");
                Cl.finish(b.session.queue());
            });
        } finally {
            b.lock.unlock();
        }
    }

    @Override
    public long[] transferTimes(long bytes, boolean toDevice, int warmup, int reps) {
        b.lock.lock();
        try {
            b.ensureOpen();
            cl_mem buf = b.session.bufA.ensure(bytes);
            Pointer host = Pointer.to(new float[Math.toIntExact((bytes + 3) / 4)]);
            return timed(warmup, reps, () -> {
                if (toDevice) {
                    Cl.write(b.session.queue(), buf, host, bytes);
                } else {
                    Cl.read(b.session.queue(), buf, host, bytes);
                }
            });
        } finally {
            b.lock.unlock();
        }
    }

    /** Nanoseconds of each of {@code reps} runs of {@code rep} after {@code warmup} untimed ones. */
    @Override
    public long[] sampleTimes(int rows, int cols, int warmup, int reps) {
        float[] x = new float[Math.multiplyExact(rows, cols)];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 4);   // logit-like
        }
        io.softmaxcl.Sampling[] perRow = new io.softmaxcl.Sampling[rows];
        java.util.Arrays.fill(perRow, io.softmaxcl.Sampling.temperature(1f).withTopK(50).withTopP(0.9f));
        int[] params = io.softmaxcl.internal.sampling.SamplerParams.pack(perRow, rows);
        int[] tokens = new int[rows];
        try (io.softmaxcl.internal.ResidentBatch batch = b.openResident(rows, cols)) {
            batch.write(x, 0);
            if (!batch.sample(params, tokens)) {
                return null;
            }
            return timed(warmup, reps, () -> batch.sample(params, tokens));
        }
    }

    private static long[] timed(int warmup, int reps, Runnable rep) {
        long[] times = new long[reps];
        for (int i = -warmup; i < reps; i++) {
            long t0 = System.nanoTime();
            rep.run();
            long t = System.nanoTime() - t0;
            if (i >= 0) {
                times[i] = t;
            }
        }
        return times;
    }

    /** Fills {@code x} with {@code n} uniform values in [-4, 4) stored as {@code type}. */
    private void fillRandom(cl_mem x, long n, DType type) {
        SplittableRandom rnd = new SplittableRandom(42);
        float[] block = new float[(int) Math.min(n, 1 << 22)];
        for (int i = 0; i < block.length; i++) {
            block[i] = (float) (rnd.nextDouble() * 8 - 4);
        }
        Object rows = block;
        if (type != DType.F32) {
            short[] bits = new short[block.length];
            io.softmaxcl.internal.HalfFloats.encode(type, block, 0, bits, 0, block.length);
            rows = bits;
        }
        long eb = Storage.bytes(type);
        for (long off = 0; off < n; off += block.length) {
            long len = Math.min(block.length, n - off);
            Cl.check(CL.clEnqueueWriteBuffer(b.session.queue(), x, CL.CL_TRUE, off * eb, len * eb, OpenClBackend.host(rows, 0, eb), 0, null,
                    null), "clEnqueueWriteBuffer");
        }
    }
}
