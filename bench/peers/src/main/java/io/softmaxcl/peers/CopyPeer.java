package io.softmaxcl.peers;

import java.util.EnumSet;
import java.util.Set;

/**
 * The floor, measured in the same run: {@code System.arraycopy} of the input into a preallocated output, the
 * elements cut into {@code threads} equal ranges (a single row too). It moves what a softmax must at least move, one
 * read and one write per element, so softmax-cl cpu's speedup column on this row (copy time / softmax-cl time) is the
 * fraction of the copy's bandwidth it reaches. Not a softmax: {@link #checked} is false and its error is not shown.
 */
final class CopyPeer extends JavaArrayPeer {
    @Override
    public String name() {
        return "memory copy";
    }

    @Override
    public String description() {
        return "System.arraycopy of the input into a preallocated output, elements in " + threads
                + " equal ranges over " + threads + " threads (the floor: one read, one write; not a softmax)";
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.of(Op.SOFTMAX, Op.LOG_SOFTMAX);
    }

    @Override
    public boolean checked() {
        return false;
    }

    @Override
    public void run(Op op) throws Exception {
        float[] x = w.x;
        // RowParallel's "rows" here are single elements: equal ranges of the whole matrix.
        par.forRows(x.length, (from, to) -> System.arraycopy(x, from, y, from, to - from));
    }
}
