package io.softmaxcl.internal.cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A {@link WorkerPool#runPhased} job: {@code first}, then {@code second}, on each piece, each claimed by a flag per
 * piece; a piece's second phase waits for the first phase of every piece of its group. Party k takes the pieces
 * {@code p ≡ k} modulo the parties first, in both phases, then any left. {@link #next} counts the pieces whose
 * second phase is claimed.
 */
final class PhasedJob extends Job {
    /** Pieces' states, in order: free, first claimed, first done, second claimed. */
    private static final int FREE = 0;
    private static final int FIRST = 1;
    private static final int READY = 2;
    private static final int SECOND = 3;

    private final int parties;
    private final int group;
    private final WorkerPool.PieceTask first;
    private final WorkerPool.PieceTask second;
    private final AtomicIntegerArray state;

    PhasedJob(int count, int group, WorkerPool.PieceTask first, WorkerPool.PieceTask second, int parties,
              Thread owner) {
        super(count, owner);
        this.parties = parties;
        this.group = group;
        this.first = first;
        this.second = second;
        this.state = new AtomicIntegerArray(count);
    }

    @Override
    void run(int party) {
        int own = party % parties;
        for (int p = own; p < chunks; p += parties) {
            runFirst(p);
        }
        for (int p = 0; p < chunks; p++) {
            runFirst(p);
        }
        // Every piece's first phase is now claimed, so a wait below is for one that is running.
        for (int p = own; p < chunks && !claimed(); p += parties) {
            runSecond(p);
        }
        for (int p = 0; p < chunks && !claimed(); p++) {
            runSecond(p);
        }
    }

    private void runFirst(int p) {
        if (state.get(p) == FREE && state.compareAndSet(p, FREE, FIRST)) {
            try {
                first.run(p);
            } catch (Throwable e) {
                failure = e;
            } finally {
                state.set(p, READY);
            }
        }
    }

    private void runSecond(int p) {
        if (state.get(p) == SECOND) {
            return;
        }
        int from = p / group * group;
        int to = Math.min(chunks, from + group);
        for (int q = from; q < to; q++) {
            while (state.get(q) < READY) {
                Thread.onSpinWait();
            }
        }
        if (state.compareAndSet(p, READY, SECOND)) {
            next.incrementAndGet();
            try {
                if (failure == null) {
                    second.run(p);
                }
            } catch (Throwable e) {
                failure = e;
            }
            finished();
        }
    }
}
