package io.softmaxcl.internal.opencl;

import java.util.function.IntConsumer;

/**
 * The OpenCL host's one row-chunk loop: a batch larger than the device budget runs in pieces of whole rows, and
 * after each piece the count of leading rows complete in the output goes to a progress callback (AUTO resumes a
 * failed call on the CPU from there).
 */
final class RowChunks {

    /** One piece: rows {@code [firstRow, firstRow + rows)} of the call. */
    interface Piece {
        void run(int firstRow, int rows);
    }

    private RowChunks() {
    }

    /** Runs {@code piece} over {@code [0, rows)}, at most {@code chunk} rows a piece; {@code rowsDone} may be null. */
    static void run(int rows, int chunk, IntConsumer rowsDone, Piece piece) {
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int k = Math.min(chunk, rows - r0);
            piece.run(r0, k);
            if (rowsDone != null) {
                rowsDone.accept(r0 + k);
            }
        }
    }

    /** A progress callback that keeps the last count it was given. */
    static final class Done implements IntConsumer {
        private int rows;

        @Override
        public void accept(int rows) {
            this.rows = rows;
        }

        int rows() {
            return rows;
        }
    }
}
