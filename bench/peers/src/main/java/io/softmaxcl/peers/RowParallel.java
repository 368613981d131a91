package io.softmaxcl.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Splits rows into {@code threads} contiguous chunks on a fixed pool: how a Java user would parallelise a per-row API. */
final class RowParallel implements AutoCloseable {

    interface Rows {
        void run(int from, int to);
    }

    private final int threads;
    private final ExecutorService pool;

    RowParallel(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "peers-rows");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    void forRows(int rows, Rows body) throws Exception {
        int chunks = Math.min(threads, rows);
        if (chunks <= 1) {
            body.run(0, rows);
            return;
        }
        List<Future<?>> fs = new ArrayList<>(chunks - 1);
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) rows * c / chunks);
            int to = (int) ((long) rows * (c + 1) / chunks);
            fs.add(pool.submit(() -> body.run(from, to)));
        }
        body.run(0, (int) ((long) rows / chunks));
        for (Future<?> f : fs) {
            f.get();
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
