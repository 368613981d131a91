package io.softmaxcl.internal.opencl;

import java.util.Locale;

/**
 * Which forward kernel runs a {@code rows × cols} batch on a device, and how it is launched. The rule (static,
 * from the shape and the device's properties; {@value #VARIANT_PROPERTY} forces one variant):
 * <ul>
 *   <li>CPU devices (PoCL and the like run a work-group as loops on one thread and vectorize only what the code
 *       spells out): {@link Variant#ROW_PER_ITEM} — one work-item per row with {@code float16} vectors, local size
 *       up to 16 so that every compute unit gets work, and for at least {@value #FIXED_COLS_MIN_ROWS} rows of at
 *       most {@value #FIXED_COLS_MAX} columns a program built for that column count whose work-items each take
 *       {@value #TINY_ROWS_PER_ITEM} rows, one per vector lane (PoCL left one row per work-item scalar); when there are fewer rows than twice the compute units and
 *       the rows are long ({@code cols ≥} {@value #SPLIT_MIN_COLS}), {@link Variant#ROW_SPLIT_ITEMS} — each row cut
 *       into segments of {@value #MIN_SEGMENT} to {@value #MAX_SEGMENT} columns, partial (max, sum) merged with the
 *       online rule. (Measured here under heavy load, one work-item per row was faster even for 1×1048576; the
 *       split is kept for an idle machine, where it uses every core. The auto-tuner settles it per machine.)</li>
 *   <li>Other devices (GPUs): rows of at most {@value #HELD_PER_ITEM} × the device's largest work-group
 *       (16384 columns on a 1024-wide device) → {@link Variant#ROWS_HELD}: the row held in registers, read once
 *       and written once (see {@link #held}); fewer rows than the compute units and rows longer than
 *       16 × the work-group size → {@link Variant#ROW_SPLIT_GROUPS}; otherwise {@link Variant#ROW_PER_GROUP}
 *       (float4 loads, online max and sum in one read, the row cached in local memory when it fits).</li>
 * </ul>
 * Every variant is correct for every shape; the rule only picks the fastest. With the auto-tuner on
 * ({@link TuningCache}) the variant measured fastest for the shape class on this device replaces the rule.
 *
 * @param variant the kernel family member
 * @param local   work-group size of the launch
 * @param segments pieces each row is split into (1 unless split)
 * @param segmentLength columns per piece (a multiple of 4)
 * @param team    work-items per row for {@link Variant#ROWS_PER_GROUP}
 * @param fixedCols run {@link Variant#ROW_PER_ITEM} from a program built for exactly this column count
 * @param perItem row elements each work-item holds in registers ({@link Variant#ROWS_HELD}; 0 otherwise)
 */
record KernelPlan(Variant variant, int local, int segments, int segmentLength, int team, boolean fixedCols,
                  int perItem) {

    /** System property forcing one variant for every shape (tests and experiments), e.g. {@code ROW_PER_GROUP}. */
    static final String VARIANT_PROPERTY = "softmaxcl.opencl.variant";
    static final int SPLIT_MIN_COLS = 65536;
    static final int MIN_SEGMENT = 4096;
    static final int MAX_SEGMENT = 16384;
    static final int FIXED_COLS_MAX = 32;
    static final int FIXED_COLS_MIN_ROWS = 4096;
    /** Rows one work-item of the fixed-column kernel takes, one per lane of its vectors (the VW build define). */
    static final int TINY_ROWS_PER_ITEM = 16;
    /** Most row elements one work-item of {@link Variant#ROWS_HELD} holds in registers. */
    static final int HELD_PER_ITEM = 16;

    enum Variant {
        /** One work-item per row, wide vectors (CPU devices). */
        ROW_PER_ITEM,
        /** One work-item per segment of a row, then an online merge (CPU devices, few long rows). */
        ROW_SPLIT_ITEMS,
        /** A team of work-items per row, several rows per work-group (short rows). */
        ROWS_PER_GROUP,
        /** One work-group per row (vocabulary rows). */
        ROW_PER_GROUP,
        /** Each row split across work-groups, then an online merge (a few huge rows). */
        ROW_SPLIT_GROUPS,
        /** A team of work-items per row holding the row in registers (rows that fit on one compute unit). */
        ROWS_HELD;

        static Variant parse(String s) {
            return s == null || s.isBlank() ? null : valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** What a plan needs to know about the device. */
    record Device(boolean cpu, int computeUnits, int groupSize, int maxGroupSize) {
    }

    /**
     * The {@link Variant#ROWS_HELD} plan for rows of {@code cols}, or null when a row does not fit: a team of
     * {@code min(maxGroupSize, 2^⌈log2(cols / 4)⌉)} work-items per row, each holding the power of two
     * {@code perItem ≥ cols / team} elements (at most {@value #HELD_PER_ITEM}); a work-group of at least
     * {@code groupSize} work-items (several rows when the team is smaller). Buckets keep the programs few.
     */
    static KernelPlan held(Device d, int cols, int maxGroup) {
        int team = Math.min(maxGroup, ceilPow2(ceilDiv(Math.max(1, cols), 4)));
        int per = ceilPow2(ceilDiv(Math.max(1, cols), team));
        if (per > HELD_PER_ITEM) {
            return null;
        }
        int local = Math.max(team, Math.min(d.groupSize(), maxGroup));
        return new KernelPlan(Variant.ROWS_HELD, local, 1, cols, team, false, per);
    }

    static int ceilPow2(int v) {
        return v <= 1 ? 1 : Integer.highestOneBit(v - 1) << 1;
    }

    static KernelPlan choose(Device d, int rows, int cols, Variant forced) {
        int cu = Math.max(1, d.computeUnits());
        Variant v = forced;
        if (v == null) {
            if (d.cpu()) {
                v = rows < 2 * cu && cols >= SPLIT_MIN_COLS ? Variant.ROW_SPLIT_ITEMS : Variant.ROW_PER_ITEM;
            } else if (held(d, cols, d.maxGroupSize()) != null) {
                v = Variant.ROWS_HELD;
            } else if (rows < cu && cols > 16 * d.groupSize()) {
                v = Variant.ROW_SPLIT_GROUPS;
            } else {
                v = Variant.ROW_PER_GROUP;
            }
        }
        if (v == Variant.ROWS_HELD) {
            KernelPlan h = held(d, cols, d.maxGroupSize());
            // A forced ROWS_HELD on a row too long to hold runs one work-group per row.
            return h != null ? h : choose(d, rows, cols, Variant.ROW_PER_GROUP);
        }
        return switch (v) {
            case ROWS_HELD -> throw new AssertionError(v);
            case ROW_PER_ITEM -> new KernelPlan(v, clamp(rows / (2 * cu), 1, 16), 1, cols, 1,
                    d.cpu() && cols <= FIXED_COLS_MAX && rows >= FIXED_COLS_MIN_ROWS, 0);
            case ROW_SPLIT_ITEMS -> {
                // About 32 segments per compute unit in all, each at least MIN_SEGMENT columns, and none longer than
                // MAX_SEGMENT so that a segment's passes stay in the core's L2 cache.
                int segs = Math.max(ceilDiv(cols, MAX_SEGMENT),
                        clamp(ceilDiv(32 * cu, rows), 1, Math.max(1, cols / MIN_SEGMENT)));
                int len = roundUp(ceilDiv(cols, segs), 16);
                yield new KernelPlan(v, clamp(rows * ceilDiv(cols, len) / (2 * cu), 1, 16), ceilDiv(cols, len), len, 1,
                        false, 0);
            }
            case ROWS_PER_GROUP -> new KernelPlan(v, d.groupSize(), 1, cols,
                    Math.min(Math.min(32, d.groupSize()), Integer.highestOneBit(Math.max(1, cols / 4) * 2 - 1)), false, 0);
            case ROW_PER_GROUP -> new KernelPlan(v, d.groupSize(), 1, cols, 1, false, 0);
            case ROW_SPLIT_GROUPS -> {
                int segs = clamp(ceilDiv(4 * cu, rows), 1, Math.max(1, cols / (4 * d.groupSize())));
                int len = roundUp(ceilDiv(cols, segs), 4);
                yield new KernelPlan(v, d.groupSize(), ceilDiv(cols, len), len, 1, false, 0);
            }
        };
    }

    /** The variants the auto-tuner times for a shape: those that suit the device type and the shape. */
    static java.util.List<Variant> candidates(Device d, int rows, int cols) {
        java.util.List<Variant> list = new java.util.ArrayList<>();
        if (d.cpu()) {
            list.add(Variant.ROW_PER_ITEM);
            if (cols >= 2 * MIN_SEGMENT) {
                list.add(Variant.ROW_SPLIT_ITEMS);
            }
        } else {
            if (held(d, cols, d.maxGroupSize()) != null) {
                list.add(Variant.ROWS_HELD);
            }
            if (cols <= 4096) {
                list.add(Variant.ROWS_PER_GROUP);
            }
            list.add(Variant.ROW_PER_GROUP);
            if (cols > 4 * d.groupSize()) {
                list.add(Variant.ROW_SPLIT_GROUPS);
            }
        }
        return list;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    private static int roundUp(int a, int m) {
        return ceilDiv(a, m) * m;
    }
}
