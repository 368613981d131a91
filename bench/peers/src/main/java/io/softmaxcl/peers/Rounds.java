package io.softmaxcl.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One shape: every peer prepared on the same workload, warmed up, then timed in rounds of rotated order. */
final class Rounds {

    private Rounds() {
    }

    static List<Cell> run(Workload w, List<Peer> peers, Options o) {
        Map<Op, double[]> refs = new LinkedHashMap<>();
        List<Peer> ready = new ArrayList<>();
        List<Cell> failed = new ArrayList<>();
        for (Peer p : peers) {
            try {
                p.prepare(w);
                ready.add(p);
            } catch (Throwable t) {
                for (Op op : p.ops()) {
                    Cell c = new Cell(p.name(), op, w.rows, w.cols);
                    c.failure = "prepare failed: " + PeersMain.reason(t);
                    failed.add(c);
                }
            }
        }
        List<Cell> cells = new ArrayList<>();
        Map<Cell, Peer> owner = new LinkedHashMap<>();
        for (Op op : Op.values()) {
            for (Peer p : ready) {
                if (p.ops().contains(op)) {
                    Cell c = new Cell(p.name(), op, w.rows, w.cols);
                    cells.add(c);
                    owner.put(c, p);
                }
            }
        }
        for (int r = 0; r < o.rounds; r++) {
            int n = cells.size();
            for (int k = 0; k < n; k++) {
                Cell c = cells.get((k + r * 3) % n); // rotate who goes first each round
                if (c.failure != null) {
                    continue;
                }
                Peer p = owner.get(c);
                Sampler.Call call = () -> p.run(c.op);
                try {
                    if (r == 0) {
                        c.batch = Sampler.warmUp(call, o.warmMinMs, o.warmMaxMs);
                        if (p.checked()) {
                            double[] ref = refs.computeIfAbsent(c.op, op -> Reference.of(op, w));
                            c.error = Reference.error(c.op, p.result(c.op), ref);
                        }
                    }
                    c.roundNs.add(Sampler.measure(call, c.batch, o.budgetMs));
                    Thread.sleep(20); // let the last library's spinning worker threads go idle
                } catch (Throwable t) {
                    c.failure = "failed: " + PeersMain.reason(t);
                }
            }
            System.err.printf("%s round %d/%d done%n", w.shape(), r + 1, o.rounds);
        }
        for (Peer p : ready) {
            try {
                p.release();
            } catch (Throwable t) {
                // freeing a shape's buffers: the next shape allocates fresh ones
            }
        }
        cells.addAll(failed);
        return cells;
    }
}
