package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowReduction;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.util.List;

/**
 * The launch plan: from a {@link KernelPlan} and a call's buffers to the complete launches (kernel, global and
 * local size, arguments) of forward, backward and cross-entropy alike. Builds held-row and fixed-column programs
 * on first use, so callers hold the session's lock.
 */
final class Launches {

    private final ClSession session;
    private final KernelPlan.Device device;

    Launches(ClSession session, KernelPlan.Device device) {
        this.session = session;
        this.device = device;
    }

    /** The launches of a forward {@code plan} on {@code r} (two for the split variants: partials, then finish). */
    List<Launch> forward(KernelPlan plan, KernelArgs.Rows r) {
        int groupSize = session.groupSize();
        int rows = r.rows();
        int cols = r.cols();
        RowOp op = r.op();
        Storage st = r.storage();
        switch (plan.variant()) {
            case ROW_PER_ITEM -> {
                if (plan.fixedCols()) {
                    // Each work-item takes TINY_ROWS_PER_ITEM rows, one per vector lane (softmax_item.cl).
                    int items = KernelPlan.ceilDiv(rows, KernelPlan.TINY_ROWS_PER_ITEM);
                    int local = Math.min(plan.local(), Math.max(1, items / (2 * device.computeUnits())));
                    return List.of(new Launch("softmax_tiny", session.fixedCols().kernel(cols, op, st),
                            roundUp(items, local), local, KernelArgs.forward(r)));
                }
                cl_kernel item = session.kernel(KernelArgs.perOpName("softmax_item", op), st);
                if (st.y() == io.softmaxcl.DType.F32) {
                    return List.of(new Launch("softmax_item", item, roundUp(rows, plan.local()), plan.local(),
                            KernelArgs.item(r, r.y())));
                }
                // Half output: a few work-items, each taking every items-th row with a float scratch row of its
                // own that stays in cache (softmax_item.cl).
                int items = Math.min(rows, 4 * device.computeUnits());
                cl_mem scratch = session.bufScratch.ensure((long) items * cols * 4);
                return List.of(new Launch("softmax_item", item, items, 1, KernelArgs.item(r, scratch)));
            }
            case ROWS_PER_GROUP -> {
                int rowsPerGroup = groupSize / plan.team();
                return List.of(new Launch("softmax_team", session.kernel("softmax_team", st),
                        (long) KernelPlan.ceilDiv(rows, rowsPerGroup) * groupSize, groupSize,
                        KernelArgs.team(r, plan.team())));
            }
            case ROWS_HELD -> {
                KernelPlan p = session.held().fit(plan, device, st);
                if (p == null) {
                    return forward(KernelPlan.choose(device, rows, cols, KernelPlan.Variant.ROW_PER_GROUP), r);
                }
                return List.of(held(p, "softmax_held", st, rows, KernelArgs.forward(r)));
            }
            case ROW_PER_GROUP -> {
                return List.of(new Launch("softmax_group", session.kernel("softmax_group", st), (long) rows * groupSize,
                        groupSize, KernelArgs.group(r, session.cacheFloats())));
            }
            case ROW_SPLIT_ITEMS, ROW_SPLIT_GROUPS -> {
                boolean items = plan.variant() == KernelPlan.Variant.ROW_SPLIT_ITEMS;
                String prefix = items ? "softmax_item" : "softmax_group";
                long pieces = (long) rows * plan.segments();
                cl_mem partial = session.bufPartial.ensure(pieces * 8);
                long global = items ? roundUp(pieces, plan.local()) : pieces * groupSize;
                long local = items ? plan.local() : groupSize;
                cl_kernel p = session.kernel(items ? KernelArgs.perOpName(prefix + "_partial", op) : prefix + "_partial",
                        st);
                cl_kernel f = session.kernel(items ? KernelArgs.perOpName(prefix + "_finish", op) : prefix + "_finish",
                        st);
                return List.of(
                        new Launch(prefix + "_partial", p, global, local,
                                KernelArgs.partial(r, partial, plan.segments(), plan.segmentLength(), items)),
                        new Launch(prefix + "_finish", f, global, local,
                                KernelArgs.finish(r, partial, plan.segments(), plan.segmentLength())));
            }
            default -> throw new AssertionError(plan.variant());
        }
    }

    /**
     * The launch of a row-wise {@code family} ({@code softmax_backward} or {@code cross_entropy}) over {@code rows}
     * stored as {@code storage} (one type for all rows) on a {@link Planner#rowwise} plan: held rows, one work-item
     * per row, or one work-group per row.
     */
    Launch rowwise(String family, KernelPlan plan, Storage storage, int rows, KernelArgs.Binder args) {
        if (plan.variant() == KernelPlan.Variant.ROWS_HELD) {
            KernelPlan p = session.held().fit(plan, device, storage);
            if (p != null) {
                return held(p, family + "_held", storage, rows, args);
            }
            plan = KernelPlan.choose(device, rows, plan.segmentLength(), KernelPlan.Variant.ROW_PER_GROUP);
        }
        if (plan.variant() == KernelPlan.Variant.ROW_PER_ITEM) {
            return new Launch(family, session.kernel(family + "_item", storage), roundUp(rows, plan.local()),
                    plan.local(), args);
        }
        int groupSize = session.groupSize();
        return new Launch(family, session.kernel(family, storage), (long) rows * groupSize, groupSize, args);
    }

    /** A row reduction of {@code kernels/sampling.cl}: one work-group per row (its LS is the session's WG). */
    Launch rowReduce(RowReduction kind, int rows, KernelArgs.Binder args) {
        int groupSize = session.groupSize();
        return new Launch(kind.kernel(), session.kernel(kind.kernel()), (long) rows * groupSize, groupSize, args);
    }

    /**
     * {@code storage_decode} (half bits to float) or {@code storage_encode} (float to half bits, rounded once) of
     * {@code n} elements stored as {@code type}: one work-item per element.
     */
    Launch convert(boolean decode, io.softmaxcl.DType type, int n, KernelArgs.Binder args) {
        String name = decode ? "storage_decode" : "storage_encode";
        int local = session.groupSize();
        return new Launch(name, session.kernel(name, new Storage(type, type)), roundUp(n, local), local, args);
    }

    /** A held-row launch: {@code local / team} rows per work-group. */
    private Launch held(KernelPlan p, String kernel, Storage storage, int rows, KernelArgs.Binder args) {
        long groups = KernelPlan.ceilDiv(rows, p.local() / p.team());
        return new Launch(kernel, session.held().kernel(p, kernel, storage), groups * p.local(), p.local(), args);
    }

    /** Enqueues {@code launches} in order. */
    void enqueue(List<Launch> launches) {
        for (Launch l : launches) {
            l.enqueue(session.queue());
        }
    }

    private static long roundUp(long a, long m) {
        return (a + m - 1) / m * m;
    }
}
