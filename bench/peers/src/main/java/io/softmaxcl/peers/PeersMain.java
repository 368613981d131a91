package io.softmaxcl.peers;

import io.softmaxcl.Backend;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * softmax-cl against the Java peers in one JVM: per shape, every peer gets the same inputs; per round, the peers
 * run in a rotated order (so drift hits all); the table shows medians over rounds and each one's error against
 * float64. Options: --threads N (2), --quick, --rounds N, --shapes RxC,..., --json FILE, --chart FILE.
 */
public final class PeersMain {

    static final List<String> STANDARD = List.of("1x32000", "32x32000", "8x128256", "64x151936", "4096x1000",
            "65536x10", "1x1048576", "512x50257");
    static final List<String> QUICK = List.of("1x32000", "4096x1000", "8x128256");
    private static final String CHILD = "SOFTMAXCL_PEERS_CHILD";

    private PeersMain() {
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("peers: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (System.getenv(CHILD) == null) {
            System.exit(relaunch(args, o.threads));
        }
        CpuFeatures.selectNd4jBuild();
        long start = System.nanoTime();
        List<Peer> candidates = List.of(new SoftmaxClPeer(Backend.CPU), new SoftmaxClPeer(Backend.OPENCL),
                new OrtPeer(), new DjlPeer(), new Nd4jPeer(), new SmilePeer(), new PlainLoopPeer(),
                new CopyPeer());
        List<Peer> peers = new ArrayList<>();
        Map<String, String> status = new LinkedHashMap<>();
        for (Peer p : candidates) {
            try {
                p.open(o.threads);
                peers.add(p);
                status.put(p.name(), p.description());
            } catch (Throwable t) {
                status.put(p.name(), "not loaded: " + reason(t));
            }
            System.err.println(p.name() + ": " + status.get(p.name()));
        }
        List<Cell> cells = new ArrayList<>();
        for (String shape : o.shapes) {
            String[] rc = shape.toLowerCase().split("x");
            Workload w = new Workload(Integer.parseInt(rc[0]), Integer.parseInt(rc[1]), 42);
            cells.addAll(Rounds.run(w, peers, o));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String machine = CpuFeatures.modelName() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors, " + CpuFeatures.simd() + "; Java " + System.getProperty("java.version")
                + "; load average at the end " + loadAverage();
        String table = Report.table(cells, status, o, machine, seconds);
        System.out.print(table);
        if (o.json != null) {
            write(o.json, Report.json(cells, status, o, machine, seconds));
        }
        if (o.chart != null) {
            PeersChart.save(cells, o.chart);
        }
        for (Peer p : peers) {
            try {
                p.close();
            } catch (Exception e) {
                // closing at exit: nothing left to report
            }
        }
    }

    static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? "" : ": " + root.getMessage().lines().findFirst().orElse("");
        return root.getClass().getSimpleName() + m;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    private static void write(Path file, String text) throws Exception {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, text);
    }

    /**
     * Runs the benchmark in a child JVM with the same flags: libjsig preloaded when the JDK has it (PoCL's LLVM and
     * the peers' natives replace signal handlers), and OMP/OpenBLAS/MKL thread counts set before any native loads.
     */
    private static int relaunch(String[] args, int threads) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PeersMain.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        Map<String, String> env = pb.environment();
        Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        if (Files.exists(jsig)) {
            String pre = env.get("LD_PRELOAD");
            env.put("LD_PRELOAD", pre == null || pre.isBlank() ? jsig.toString() : jsig + ":" + pre);
        }
        String n = Integer.toString(threads);
        env.put("OMP_NUM_THREADS", n);
        env.put("OPENBLAS_NUM_THREADS", n);
        env.put("MKL_NUM_THREADS", n);
        env.put(CHILD, "1");
        return pb.start().waitFor();
    }
}
