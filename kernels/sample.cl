// One token per row drawn on the device, the same token as the host's RowSampler (io.softmaxcl.internal.sampling):
// temperature, top-k, top-p, min-p and the draw over fixed-point weights W = floor(w * 2^bits), w = wexp((v - max)/T)
// by the same IEEE double operations as Weights.java (no contraction into FMAs), summed exactly in integers.
// Its own program, built only on devices with cl_khr_fp64. One work-group of LS items per row; item i owns the
// contiguous columns [i*c, (i+1)*c), c = ceil(cols / LS), so that column order is item order.
//
// Selection is sorting-free: a radix select over order-preserving keys of the floats (10, 10, 10 and 2 bits),
// counting elements (top-k) or summing their weights (top-p) per bin in local memory. As soon as the elements at or
// above a chosen bin fit in the local list (LCAP), they are gathered there, sorted by column, and every later step
// reads only the list. A row of at most PRIV * LS columns is read from global memory once (kept in private memory);
// a longer row with top-k typically twice (max with the first histogram level, then the gather); nothing is written
// per element and 4 bytes per row come back (a token, or -1 NaN, -2 +Inf, -3 no finite logit).
//
// Shape: one loop of phases, each "every item works on its elements | barrier | item 0 decides the next phase |
// barrier | every item prepares it | barrier", so that no barrier sits under a branch: compilers that replicate
// the code after a conditional barrier (PoCL) took minutes to build the nested version.

#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

#ifndef LS
#define LS 64
#endif
#ifndef PRIV
#define PRIV 64
#endif
#define BINS 1024
#define LCAP 1024

#define SRC_PRIV 0
#define SRC_GLOBAL 1
#define SRC_LOCAL 2

// Where the elements come from: the item's private copy, the global row, or the local list; [lo, hi) are this
// item's positions in it (columns, or list entries).
typedef struct { int src; int n; int lo; int hi; } view_t;

inline view_t view_of(int src, int n) {
    int c = (n + LS - 1) / LS;
    int lo = min((int) get_local_id(0) * c, n);
    view_t w = { src, n, lo, min(lo + c, n) };
    return w;
}

#define VALUE(w, e) ((w).src == SRC_LOCAL ? gv[e] : (w).src == SRC_PRIV ? pv[(e) - (w).lo] : row[e])
#define COLUMN(w, e) ((w).src == SRC_LOCAL ? gi[e] : (e))

// Float order as unsigned order; -0 and +0 share a key (they compare equal, as the host's ties do).
inline uint okey(float v) {
    uint b = as_uint(v == 0.0f ? 0.0f : v);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// topK's order instead (Float.compare's): every NaN largest, +0 above -0.
inline uint tkey(float v) {
    uint b = as_uint(v);
    return isnan(v) ? 0xffffffffu : (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

inline float okey_value(uint k) {
    return as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

// Weights.exp, operation for operation.
inline double wexp(double z) {
    if (!(z >= -700.0)) {
        return 0.0;
    }
    double n = (z * 0x1.71547652b82fep0 + 0x1.8p52) - 0x1.8p52;
    double r = (z - n * 0x1.62e42fee00000p-1) - n * 0x1.a39ef35793c76p-33;
    double p = 0x1.1eed8eff8d898p-29;
    p = p * r + 0x1.ae64567f544e4p-26;
    p = p * r + 0x1.27e4fb7789f5cp-22;
    p = p * r + 0x1.71de3a556c734p-19;
    p = p * r + 0x1.a01a01a01a01ap-16;
    p = p * r + 0x1.a01a01a01a01ap-13;
    p = p * r + 0x1.6c16c16c16c17p-10;
    p = p * r + 0x1.1111111111111p-7;
    p = p * r + 0x1.5555555555555p-5;
    p = p * r + 0x1.5555555555555p-3;
    p = p * r + 0x1.0p-1;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return p * as_double((long) ((int) n + 1023) << 52);
}


#define P_STATS 0
#define P_GREEDY 1
#define P_HIST 2
#define P_GATHER 3
#define P_SORT 4
#define P_TOTAL 5   // not a phase of its own: top-p's first mass histogram (its bins sum to the total)
#define P_DRAW_SUM 6
#define P_DRAW_FIND 7
#define P_LSE 8
#define P_OUTPUT 9
#define P_DONE 10
#define P_AFTER_STATS 11   // not a phase of its own: topK without probs decides its next phase as after P_LSE

// What comes after a select (stage) and after a gather (then).
#define STAGE_TOP_K 0
#define STAGE_TOP_P 1
#define STAGE_DRAW 2
#define STAGE_OUTPUT 3
#define STAGE_PHASE(s) ((s) == STAGE_TOP_P ? P_TOTAL : (s) == STAGE_DRAW ? P_DRAW_SUM : P_OUTPUT)
#define THEN_SELECT 0
#define THEN_STAGE 1

// The row's state between phases: written by item 0 only, between barriers.
typedef struct {
    int phase;
    int src;
    int n;
    int stage;
    int then;
    int mass;       // the select sums weights (top-p) instead of counting (top-k)
    int level;
    uint prefix;
    uint low;       // the select and the draw consider keys >= low only
    uint bound;     // a gather keeps keys >= bound
    long base_count;
    long base_mass;
    long at_or_above;
    double limit;
    int need_limit; // top-p's first histogram: the limit is p times the sum of its bins
    float cut;      // the draw keeps values >= cut
    uint mk;        // the row maximum's key (NaN and +Inf left out)
    long flags;     // bit 0: a NaN, bit 1: a +Inf
    double lse;     // topK: log sum exp of the row
    int sort_size;
    int sort_k;
    int sort_j;
    long target;
    int token;
} state_t;

inline double weight(float v, float m, double t) {
    return wexp(((double) v - (double) m) / t);
}

#define KEY(v) (op == 1 ? tkey(v) : okey(v))

// op 0, sample: params holds 6 ints per row: temperature bits, top-k (0 off), top-p bits (1 off), min-p bits (0 off),
// U low, U high; the token (or error code) of row r goes to out_i[r].
// op 1, topK: the k largest (NaN largest, ties: lowest index first) of row r to out_f[r*k ..] (values) and
// out_i[r*k ..] (columns), with probs (when want_probs) softmax's at out_f[rows*k + r*k ..]; out_i[r*k] = -1 when
// the row's top set does not fit in local memory (ties across LCAP; the host computes that row).
__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void row_select(__global const float* x, int cols, int op, __global const int* params, int k, int want_probs,
                __global int* out_i, __global float* out_f) {
    __local int lcount[BINS];
    __local uint lmass[2 * BINS];   // low and high words of each bin's weight sum
    __local float gv[LCAP];
    __local int gi[LCAP];
    __local long lpart[LS];
    __local long lflag[LS];
    __local double ldbl[LS];
    __local state_t st;
    float pv[PRIV];
    int lid = get_local_id(0);
    int r = get_group_id(0);
    __global const float* row = x + (long) r * cols;
    __local int lprm[6];
    for (int i = lid; i < 6; i += LS) {   // the row's parameters read once, not once per item
        lprm[i] = op == 0 ? params[6 * r + i] : 0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float t = op == 0 ? as_float(lprm[0]) : 1.0f;
    int top_k = op == 0 ? lprm[1] : k;
    float top_p = op == 0 ? as_float(lprm[2]) : 1.0f;
    float min_p = as_float(lprm[3]);
    ulong u53 = (ulong) (uint) lprm[4] | ((ulong) (uint) lprm[5] << 32);
    int bits = 62 - (32 - clz(cols));
    double scale = as_double((long) (1023 + bits) << 52);
    double td = (double) t;

    int k_on = top_k > 0 && top_k < cols && t != 0.0f;
    for (int b = lid; b < BINS; b += LS) {   // the first level of top-k's histogram is counted with the max
        lcount[b] = 0;
        lmass[2 * b] = 0;
        lmass[2 * b + 1] = 0;
    }
    if (lid == 0) {
        st.phase = P_STATS;
        st.src = cols <= PRIV * LS ? SRC_PRIV : SRC_GLOBAL;
        st.n = cols;
        st.mk = 0;
        st.flags = 0;
        st.need_limit = 0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    while (st.phase != P_DONE) {
        // ---- work: every item over its own elements ----
        int phase = st.phase;
        view_t w = view_of(st.src, st.n);
        float m = okey_value(st.mk);
        if (phase == P_STATS) {
            uint mk = 0;
            long flags = 0;
            for (int e = w.lo; e < w.hi; e++) {
                float v = row[e];
                if (w.src == SRC_PRIV) {
                    pv[e - w.lo] = v;
                }
                uint key = KEY(v);
                if (isnan(v)) {
                    flags |= 1;
                } else if (v == INFINITY) {
                    flags |= 2;
                } else {
                    mk = max(mk, key);
                }
                if (k_on) {
                    atomic_inc((volatile __local int*) &lcount[key >> 22]);
                }
            }
            lpart[lid] = mk;
            lflag[lid] = flags;
        } else if (phase == P_GREEDY) {
            int first = INT_MAX;
            for (int e = w.lo; e < w.hi; e++) {
                if (okey(VALUE(w, e)) == st.mk) {
                    first = e;
                    break;
                }
            }
            lpart[lid] = first;
        } else if (phase == P_HIST) {
            int level = st.level;
            int fixed_bits = 10 * level;
            int shift = level < 3 ? 22 - 10 * level : 0;
            uint nb = level < 3 ? BINS : 4;
            uint prefix = st.prefix;
            uint low = st.low;
            int mass = st.mass;
            for (int e = w.lo; e < w.hi; e++) {
                float v = VALUE(w, e);
                uint key = KEY(v);
                if (key >= low && (level == 0 || (key >> (32 - fixed_bits)) == (prefix >> (32 - fixed_bits)))) {
                    int d = (key >> shift) & (nb - 1);
                    atomic_inc((volatile __local int*) &lcount[d]);
                    if (mass) {
                        long W = convert_long(weight(v, m, td) * scale);
                        uint lo32 = (uint) W;
                        uint hi32 = (uint) (W >> 32);
                        uint old = atomic_add((volatile __local uint*) &lmass[2 * d], lo32);
                        hi32 += old + lo32 < old ? 1u : 0u;   // the carry out of the low word
                        if (hi32 != 0) {
                            atomic_add((volatile __local uint*) &lmass[2 * d + 1], hi32);
                        }
                    }
                }
            }
        } else if (phase == P_GATHER) {
            uint bound = st.bound;
            for (int e = w.lo; e < w.hi; e++) {
                float v = VALUE(w, e);
                if (KEY(v) >= bound) {
                    int at = atomic_inc((volatile __local int*) &lcount[0]);
                    gi[at] = e;
                    gv[at] = v;
                }
            }
        } else if (phase == P_SORT) {   // one bitonic step over the list, by column
            int sk = st.sort_k;
            int j = st.sort_j;
            for (int i = lid; i < st.sort_size; i += LS) {
                int l = i ^ j;
                if (l <= i) {
                    continue;   // the pair is item (l)'s: reading it here would race with its swap
                }
                uint ka = tkey(gv[i]);
                uint kb = tkey(gv[l]);
                bool after = op == 1 ? ka < kb || (ka == kb && gi[i] > gi[l]) : gi[i] > gi[l];
                if (after == ((i & sk) == 0)) {
                    int ti = gi[i];
                    gi[i] = gi[l];
                    gi[l] = ti;
                    float tv = gv[i];
                    gv[i] = gv[l];
                    gv[l] = tv;
                }
            }
        } else if (phase == P_DRAW_SUM) {
            long part = 0;
            float cut = st.cut;
            for (int e = w.lo; e < w.hi; e++) {
                float v = VALUE(w, e);
                if (v >= cut) {
                    double wt = weight(v, m, td);
                    if (wt >= min_p) {
                        part += convert_long(wt * scale);
                    }
                }
            }
            lpart[lid] = part;
        } else if (phase == P_LSE) {
            double part = 0;
            for (int e = w.lo; e < w.hi; e++) {
                float v = VALUE(w, e);
                if (isfinite(v)) {
                    part += exp((double) v - (double) m);
                }
            }
            ldbl[lid] = part;
        } else if (phase == P_OUTPUT) {
            int rows = get_num_groups(0);
            if (st.src == SRC_LOCAL) {
                for (int i = lid; i < k; i += LS) {
                    long o = (long) r * k + i;
                    out_f[o] = gv[i];
                    out_i[o] = gi[i];
                    if (want_probs) {
                        out_f[(long) rows * k + o] = (float) exp((double) gv[i] - st.lse);
                    }
                }
            } else if (lid == 0) {
                out_i[(long) r * k] = -1;
            }
        } else if (phase == P_DRAW_FIND) {   // lpart: each item's exclusive prefix and its own sum in lflag
            long acc = lpart[lid];
            long target = st.target;
            float cut = st.cut;
            if (acc <= target && target < acc + lflag[lid]) {
                for (int e = w.lo; e < w.hi; e++) {
                    float v = VALUE(w, e);
                    if (v >= cut) {
                        double wt = weight(v, m, td);
                        if (wt >= min_p) {
                            acc += convert_long(wt * scale);
                            if (acc > target) {
                                st.token = COLUMN(w, e);   // exactly one item gets here
                                break;
                            }
                        }
                    }
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        // ---- decide: item 0 alone ----
        if (lid == 0) {
            int next = P_DONE;
            if (phase == P_STATS) {
                uint mk = 0;
                long flags = 0;
                for (int i = 0; i < LS; i++) {
                    mk = max(mk, (uint) lpart[i]);
                    flags |= lflag[i];
                }
                st.mk = mk;
                st.flags = flags;
                float mx = okey_value(mk);
                int code = (flags & 1) ? -1 : (flags & 2) ? -2 : (mk == 0 || mx == -INFINITY) ? -3 : 0;
                st.low = 0;
                st.cut = -INFINITY;
                if (op == 1) {
                    st.stage = STAGE_OUTPUT;
                    st.mass = 0;
                    st.level = 0;
                    st.prefix = 0;
                    st.base_count = 0;
                    st.base_mass = 0;
                    st.at_or_above = cols;
                    if (want_probs) {
                        next = P_LSE;
                    } else {
                        phase = P_AFTER_STATS;
                    }
                } else if (code != 0) {
                    out_i[r] = code;
                } else if (t == 0.0f) {
                    next = P_GREEDY;
                } else {
                    st.stage = k_on ? STAGE_TOP_K : top_p < 1.0f ? STAGE_TOP_P : STAGE_DRAW;
                    next = st.stage == STAGE_TOP_P ? P_TOTAL : P_DRAW_SUM;
                    st.mass = 0;
                    st.level = 0;
                    st.prefix = 0;
                    st.base_count = 0;
                    st.base_mass = 0;
                    if (k_on) {
                        phase = P_HIST;   // decide on the level-0 histogram counted above
                    }
                }
            }
            if (phase == P_LSE || phase == P_AFTER_STATS) {
                if (phase == P_LSE) {   // the sums are in: topK's log sum exp (torch.logsumexp's rules)
                    double sum = 0;
                    for (int i = 0; i < LS; i++) {
                        sum += ldbl[i];
                    }
                    float mx = okey_value(st.mk);
                    st.lse = (st.flags & 1) ? NAN : (st.flags & 2) ? INFINITY
                            : (st.mk == 0 || mx == -INFINITY) ? -INFINITY : (double) mx + log(sum);
                }
                next = P_DONE;
                if (k_on) {
                    phase = P_HIST;   // decide on the level-0 histogram counted with the max
                } else if (cols <= LCAP) {   // topK of the whole row
                    st.bound = 0;
                    st.then = THEN_STAGE;
                    next = P_GATHER;
                } else {
                    next = P_OUTPUT;
                }
            }
            if (phase == P_GREEDY) {
                long first = INT_MAX;
                for (int i = 0; i < LS; i++) {
                    first = min(first, lpart[i]);
                }
                out_i[r] = (int) first;
            } else if (phase == P_HIST) {
                int level = st.level;
                int shift = level < 3 ? 22 - 10 * level : 0;
                int nb = level < 3 ? BINS : 4;
                if (st.mass && st.need_limit) {   // level 0 of top-p: every kept element is in some bin
                    long total = 0;
                    for (int b = 0; b < nb; b++) {
                        total += ((long) lmass[2 * b + 1] << 32) | (long) lmass[2 * b];
                    }
                    st.limit = (double) top_p * (double) total;
                    st.need_limit = 0;
                }
                long cc = st.base_count;
                long cm = st.base_mass;
                int chosen = -1;
                int lowest = 0;
                for (int b = nb - 1; b >= 0; b--) {
                    long c = lcount[b];
                    long mm = ((long) lmass[2 * b + 1] << 32) | (long) lmass[2 * b];
                    if (c == 0) {
                        continue;
                    }
                    lowest = b;
                    if (st.mass ? (double) (cm + mm) >= st.limit : cc + c >= top_k) {
                        chosen = b;
                        break;
                    }
                    cc += c;
                    cm += mm;
                }
                if (chosen < 0) {   // not reached (cannot happen for a goal within the total): the last group
                    chosen = lowest;
                    cc -= lcount[lowest];
                    cm -= ((long) lmass[2 * lowest + 1] << 32) | (long) lmass[2 * lowest];
                }
                st.prefix |= (uint) chosen << shift;
                st.base_count = cc;
                st.base_mass = cm;
                st.at_or_above = cc + lcount[chosen];
                if (st.src != SRC_LOCAL && level < 3 && st.at_or_above <= LCAP) {
                    // Everything from the top down to this bin fits in local memory: gather it, select again there.
                    st.bound = max(st.prefix, st.low);
                    st.then = THEN_SELECT;
                    next = P_GATHER;
                } else if (level < 3) {
                    st.level = level + 1;
                    next = P_HIST;
                } else {   // the exact key: the k-th largest (top-k) or the nucleus' smallest value (top-p)
                    st.low = st.prefix;
                    st.cut = okey_value(st.prefix);
                    st.stage = st.stage == STAGE_OUTPUT ? STAGE_OUTPUT
                            : st.stage == STAGE_TOP_K && top_p < 1.0f ? STAGE_TOP_P : STAGE_DRAW;
                    if (st.src != SRC_LOCAL && st.at_or_above <= LCAP) {
                        st.bound = st.low;
                        st.then = THEN_STAGE;
                        next = P_GATHER;
                    } else {
                        next = STAGE_PHASE(st.stage);
                    }
                }
            } else if (phase == P_GATHER) {
                int n = lcount[0];
                int size = 1;
                while (size < n) {
                    size <<= 1;
                }
                st.src = SRC_LOCAL;
                st.n = n;
                st.sort_size = size;
                st.sort_k = 2;
                st.sort_j = 1;
                next = size >= 2 ? P_SORT : -1;
            } else if (phase == P_SORT) {
                if (st.sort_j > 1) {
                    st.sort_j >>= 1;
                    next = P_SORT;
                } else if (st.sort_k < st.sort_size) {
                    st.sort_k <<= 1;
                    st.sort_j = st.sort_k >> 1;
                    next = P_SORT;
                } else {
                    next = -1;
                }
            } else if (phase == P_DRAW_SUM) {
                long s = 0;
                for (int i = 0; i < LS; i++) {
                    long p = lpart[i];
                    lflag[i] = p;
                    lpart[i] = s;
                    s += p;
                }
                ulong us = (ulong) s;
                st.target = (long) mul_hi(u53 << 11, us);   // floor(U * S / 2^53), exactly (as Weights.target)
                st.token = -4;
                next = P_DRAW_FIND;
            } else if (phase == P_DRAW_FIND) {
                out_i[r] = st.token;
            }
            if (next == -1) {   // a gather (and its sort) is done
                if (st.then == THEN_SELECT) {
                    st.level = 0;
                    st.prefix = 0;
                    st.base_count = 0;
                    st.base_mass = 0;
                    next = P_HIST;
                } else {
                    next = STAGE_PHASE(st.stage);
                }
            }
            if (next == P_TOTAL) {   // top-p: a mass select whose first histogram also gives the total
                st.mass = 1;
                st.level = 0;
                st.prefix = 0;
                st.base_count = 0;
                st.base_mass = 0;
                st.need_limit = 1;
                next = P_HIST;
            }
            st.phase = next;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        // ---- prepare: every item ----
        if (st.phase == P_HIST) {
            for (int b = lid; b < BINS; b += LS) {
                lcount[b] = 0;
                lmass[2 * b] = 0;
                lmass[2 * b + 1] = 0;
            }
        } else if (st.phase == P_GATHER) {
            if (lid == 0) {
                lcount[0] = 0;
            }
        } else if (st.phase == P_SORT && st.sort_k == 2 && st.sort_j == 1) {
            for (int e = st.n + lid; e < st.sort_size; e += LS) {
                gi[e] = INT_MAX;
                gv[e] = -INFINITY;   // last in either order
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}
