package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.internal.RowOp;
import org.jocl.Pointer;
import org.jocl.cl_event;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * A forward call's row chunks through pinned staging buffers and two queues, so that on a device with its own
 * copy engines a chunk's kernels overlap the download of the chunk before and the upload of the chunk after.
 * Chunk {@code c} uses buffer set {@code c % 2}. At step {@code c} the host enqueues chunk {@code c}'s kernels on
 * the compute queue, then on the transfer queue reads chunk {@code c - 1} back (once its kernels are done) and
 * writes chunk {@code c + 1} into the set chunk {@code c - 1} has just emptied, copying between the Java arrays and
 * pinned memory meanwhile. The transfers are blocking calls on their own queue: no command waits on another
 * queue's transfer, and JOCL starts no helper threads (its non-blocking transfers wait on events in threads of
 * their own, which crashed Oclgrind). Kernels stay on one in-order queue, so they never share scratch buffers.
 */
final class ChunkPipeline {

    private final ClSession session;
    private final Slot[] slots;
    /** The markers of the call in flight, released once both queues are finished. */
    private final List<cl_event> events = new ArrayList<>();

    /** One buffer set: device rows in and out, the mask, and their pinned host copies. */
    private static final class Slot {
        final DeviceBuffer x;
        final DeviceBuffer y;
        final DeviceBuffer mask;
        final PinnedBuffer in;
        final PinnedBuffer out;
        final PinnedBuffer maskIn;
        /** Completes when the kernels of the chunk this set holds are done. */
        cl_event computed;

        Slot(ClSession s) {
            x = s.newBuffer();
            y = s.newBuffer();
            mask = s.newBuffer();
            in = new PinnedBuffer(s.context(), s.transferQueue());
            out = new PinnedBuffer(s.context(), s.transferQueue());
            maskIn = new PinnedBuffer(s.context(), s.transferQueue());
        }

        void release() {
            x.release();
            y.release();
            mask.release();
            in.release();
            out.release();
            maskIn.release();
        }
    }

    ChunkPipeline(ClSession session) {
        this.session = session;
        this.slots = new Slot[] {new Slot(session), new Slot(session)};
    }

    /**
     * Rows {@code [0, rows)} of {@code in} (a {@code float[]} or {@code short[]} of {@code st.x()}) into
     * {@code out}, {@code chunk} rows at a time; {@code launches} gives a chunk's kernels from its arguments;
     * {@code rowsDone} (may be null) hears, in order, how many leading rows of {@code out} are complete.
     */
    void forward(RowOp op, Object in, int inOffset, Object out, int outOffset, Storage st, int rows, int cols,
                 int chunk, float invTemperature, byte[] mask, int maskOffset,
                 Function<KernelArgs.Rows, List<Launch>> launches, IntConsumer rowsDone) {
        boolean hasMask = op == RowOp.MASKED_SOFTMAX && mask != null;
        int chunks = (rows + chunk - 1) / chunk;
        try {
            upload(slots[0], 0, Math.min(chunk, rows), cols, in, inOffset, st, mask, maskOffset, hasMask);
            for (int c = 0; c < chunks; c++) {
                Slot s = slots[c % 2];
                int k = Math.min(chunk, rows - c * chunk);
                long n = (long) k * cols;
                KernelArgs.Rows args = new KernelArgs.Rows(s.x.ensure(n * st.xBytes()), s.y.ensure(n * st.yBytes()),
                        k, cols, op, invTemperature, s.mask.ensure(hasMask ? n : 1), hasMask, st);
                for (Launch l : launches.apply(args)) {
                    l.enqueue(session.queue());
                }
                s.computed = held(Cl.marker(session.queue()));
                Cl.flush(session.queue());
                if (c > 0) {
                    drain(slots[(c - 1) % 2], (c - 1) * chunk, chunk, cols, out, outOffset, st.y(), rowsDone);
                }
                if (c + 1 < chunks) {
                    // Into the set chunk c - 1 used: its kernels are done (drained above).
                    int r0 = (c + 1) * chunk;
                    upload(slots[(c + 1) % 2], r0, Math.min(chunk, rows - r0), cols, in, inOffset, st, mask,
                            maskOffset, hasMask);
                }
            }
            int last = (chunks - 1) * chunk;
            drain(slots[(chunks - 1) % 2], last, rows - last, cols, out, outOffset, st.y(), rowsDone);
        } finally {
            try {
                Cl.finish(session.transferQueue());
                Cl.finish(session.queue());
            } finally {
                for (Slot s : slots) {
                    s.computed = null;
                }
                events.forEach(Cl::release);
                events.clear();
            }
        }
    }

    private cl_event held(cl_event e) {
        events.add(e);
        return e;
    }

    /** Copies chunk rows into {@code s}'s pinned memory and writes them to its device buffers (blocking). */
    private void upload(Slot s, int firstRow, int rows, int cols, Object in, int inOffset, Storage st, byte[] mask,
                        int maskOffset, boolean hasMask) {
        long n = (long) rows * cols;
        long from = inOffset + (long) firstRow * cols;
        ByteBuffer pin = s.in.ensure(n * st.xBytes());
        if (st.x() == DType.F32) {
            pin.asFloatBuffer().put((float[]) in, (int) from, (int) n);
        } else {
            pin.asShortBuffer().put((short[]) in, (int) from, (int) n);
        }
        if (hasMask) {
            ByteBuffer m = s.maskIn.ensure(n);
            m.put(mask, (int) (maskOffset + (long) firstRow * cols), (int) n);
            m.clear();
            Cl.write(session.transferQueue(), s.mask.ensure(n), Pointer.to(m), n);
        }
        Cl.write(session.transferQueue(), s.x.ensure(n * st.xBytes()), Pointer.to(pin), n * st.xBytes());
    }

    /** Waits for {@code s}'s kernels, reads rows {@code [firstRow, firstRow + rows)} back and copies them out. */
    private void drain(Slot s, int firstRow, int rows, int cols, Object out, int outOffset, DType type,
                       IntConsumer rowsDone) {
        Cl.await(s.computed);
        long n = (long) rows * cols;
        long bytes = n * Storage.bytes(type);
        ByteBuffer pin = s.out.ensure(bytes);
        Cl.read(session.transferQueue(), s.y.ensure(bytes), Pointer.to(pin), bytes);
        int to = (int) (outOffset + (long) firstRow * cols);
        if (type == DType.F32) {
            pin.asFloatBuffer().get((float[]) out, to, (int) n);
        } else {
            pin.asShortBuffer().get((short[]) out, to, (int) n);
        }
        if (rowsDone != null) {
            rowsDone.accept(firstRow + rows);
        }
    }

    void release() {
        for (Slot s : slots) {
            s.release();
        }
    }
}
