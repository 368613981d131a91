package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.Log;

/**
 * Which plan runs a shape on one device: {@link KernelPlan}'s rule for the device class, replaced by a forced
 * variant ({@value KernelPlan#VARIANT_PROPERTY}, tests) or by the auto-tuner's measurement ({@link TuningCache}).
 */
final class Planner {

    /** Runs a plan once on the rows now on the device and waits for it (what the tuner times). */
    interface Trial {
        void run(KernelPlan plan);
    }

    private final KernelPlan.Device device;
    private final TuningCache tuning;
    private volatile KernelPlan.Variant forced;

    Planner(KernelPlan.Device device, TuningCache tuning) {
        this.device = device;
        this.tuning = tuning;
        this.forced = KernelPlan.Variant.parse(System.getProperty(KernelPlan.VARIANT_PROPERTY));
    }

    KernelPlan.Device device() {
        return device;
    }

    /** Forces one forward variant for every shape (null = the plan's rule); for tests. */
    void force(KernelPlan.Variant variant) {
        this.forced = variant;
    }

    /** The forward plan for {@code rows × cols}: forced, else tuned, else the rule. */
    KernelPlan forward(int rows, int cols) {
        KernelPlan.Variant v = forced;
        if (v == null && tuning != null) {
            v = tuning.get(rows, cols);
        }
        return KernelPlan.choose(device, rows, cols, v);
    }

    /**
     * The forward plan for a {@code rows × cols} call whose first {@code resident} rows are on the device: with
     * tuning on and this shape class not yet tuned, times each candidate variant with {@code trial} (best of 3
     * after a warm-up) and remembers the fastest. Results do not depend on which variant runs, only the time does.
     */
    KernelPlan tunedForward(int rows, int resident, int cols, Trial trial) {
        if (forced != null || tuning == null || tuning.get(rows, cols) != null) {
            return forward(rows, cols);
        }
        KernelPlan.Variant best = null;
        long bestNs = Long.MAX_VALUE;
        for (KernelPlan.Variant v : KernelPlan.candidates(device, rows, cols)) {
            // Timed on the rows now on the device (the first chunk of a chunked batch).
            KernelPlan p = KernelPlan.choose(device, resident, cols, v);
            long min = Long.MAX_VALUE;
            for (int i = 0; i < 4; i++) {
                long t0 = System.nanoTime();
                trial.run(p);
                if (i > 0) {
                    min = Math.min(min, System.nanoTime() - t0);
                }
            }
            if (min < bestNs) {
                bestNs = min;
                best = v;
            }
        }
        tuning.put(rows, cols, best);
        Log.debug("OpenCL auto-tuner: " + best + " for " + tuning.key(rows, cols) + " (" + bestNs / 1000 + " us)");
        return KernelPlan.choose(device, rows, cols, best);
    }

    /**
     * The plan of the row-wise kernels (backward, cross-entropy) for {@code rows × cols}. They come in the forward's
     * families: held rows where a row fits (GPU class), one work-item per row on CPU devices, else one work-group
     * per row; a forced forward variant forces the matching family (tests).
     */
    KernelPlan rowwise(int rows, int cols) {
        KernelPlan.Variant v = forced;
        if (v == null) {
            v = device.cpu() ? KernelPlan.Variant.ROW_PER_ITEM : KernelPlan.Variant.ROWS_HELD;
        }
        switch (v) {
            case ROWS_HELD -> {
                KernelPlan h = KernelPlan.held(device, cols, device.maxGroupSize());
                if (h != null) {
                    return h;
                }
            }
            case ROW_PER_ITEM, ROW_SPLIT_ITEMS -> {
                int local = KernelPlan.choose(device, rows, 1, KernelPlan.Variant.ROW_PER_ITEM).local();
                return new KernelPlan(KernelPlan.Variant.ROW_PER_ITEM, local, 1, cols, 1, false, 0);
            }
            default -> {
            }
        }
        return KernelPlan.choose(device, rows, cols, KernelPlan.Variant.ROW_PER_GROUP);
    }

    /** The forward plan as {@code bench} prints it, e.g. {@code ROW_PER_ITEM local=16}. */
    String describe(int rows, int cols) {
        KernelPlan p = forward(rows, cols);
        return p.variant() + " local=" + p.local() + (p.segments() > 1 ? " segments=" + p.segments() : "")
                + (p.team() > 1 ? " team=" + p.team() : "") + (p.fixedCols() ? " fixed-cols" : "")
                + (p.perItem() > 0 ? " registers=" + p.perItem() : "");
    }
}
