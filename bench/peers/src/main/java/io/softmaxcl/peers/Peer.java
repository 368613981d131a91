package io.softmaxcl.peers;

import java.util.Set;

/**
 * One implementation under test. Lifecycle: {@link #open} once (loads natives; a failure there is reported as
 * "not loaded: reason"), then per shape {@link #prepare} (inputs copied in, outputs preallocated where the API
 * allows), timed {@link #run} calls, {@link #result} for the error column, {@link #release}.
 */
interface Peer extends AutoCloseable {

    String name();

    /** What it is, for the table's legend (library, version, kernel, threads). */
    String description();

    Set<Op> ops();

    void open(int threads) throws Exception;

    void prepare(Workload w) throws Exception;

    void run(Op op) throws Exception;

    /** The last run's output: the matrix, or the mean loss as a one-element array. */
    float[] result(Op op) throws Exception;

    /** False for a reference that moves the data without computing the operation (the copy floor): no error. */
    default boolean checked() {
        return true;
    }

    void release() throws Exception;

    @Override
    default void close() throws Exception {
        release();
    }
}
