// Throwaway probe (bench/probes/busy/run.sh): the workers' busy fraction during a sequence of calls, read from
// the counters worker-pool-counters.patch adds to WorkerPool. Not part of any artifact.
import io.softmaxcl.*;
import java.lang.reflect.*;
import java.util.*;
public class Busy {
    static Class<?> wp;
    static Field field(String n) throws Exception { Field f = wp.getDeclaredField(n); f.setAccessible(true); return f; }
    static long[] arr(String n) throws Exception { return (long[]) field(n).get(null); }
    static long get(String n) throws Exception { return field(n).getLong(null); }
    static void set(String n, long v) throws Exception { field(n).setLong(null, v); }
    public static void main(String[] a) throws Exception {
        wp = Class.forName("io.softmaxcl.internal.cpu.WorkerPool");
        boolean log = a.length > 1 && a[1].equals("log");
        SoftmaxEngine e = SoftmaxEngine.builder().backend(Backend.CPU).threads(2).build();
        Method aw = Class.forName("io.softmaxcl.internal.cpu.CpuBackends").getDeclaredMethod("awaitVectorKernels", long.class);
        aw.setAccessible(true); aw.invoke(null, 30_000L);
        for (String shape : a[0].split(",")) {
            int rows = Integer.parseInt(shape.split("x")[0]), cols = Integer.parseInt(shape.split("x")[1]);
            float[] x = new float[rows * cols], y = new float[rows * cols];
            Random r = new Random(1);
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 4);
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end) { if (log) e.logSoftmax(x, 0, y, 0, rows, cols); else e.softmax(x, 0, y, 0, rows, cols); }
            for (int rep = 0; rep < 3; rep++) {
                Arrays.fill(arr("BUSY"), 0); Arrays.fill(arr("LATE"), 0); Arrays.fill(arr("JOBS"), 0); set("WALL", 0); set("CALLS", 0);
                int n = Math.max(50, (int) (3e8 / ((long) rows * cols)));
                long t0 = System.nanoTime();
                for (int k = 0; k < n; k++) { if (log) e.logSoftmax(x, 0, y, 0, rows, cols); else e.softmax(x, 0, y, 0, rows, cols); }
                long wall = System.nanoTime() - t0;
                long w = get("WALL"), c = get("CALLS"); long[] b = arr("BUSY"), l = arr("LATE"), j = arr("JOBS");
                System.out.printf("%s %dx%d: %.1f us/call; pool calls %d/%d; caller busy %.2f, helper busy %.2f of the pool's call time; helper joined %d jobs, %.1f us after start on average%n",
                        log ? "log" : "softmax", rows, cols, wall / 1e3 / n, c, n, (double) b[0] / w, (double) b[1] / w, j[1], j[1] == 0 ? 0 : l[1] / 1e3 / j[1]);
            }
        }
        e.close();
    }
}
