package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reproduces the PoCL/LLVM signal-handler crash by hand (not a test: without libjsig it kills the JVM): 16 threads
 * in JIT-compiled loops hit safepoint polls while the main thread builds OpenCL programs. Without
 * {@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so} about half the runs exit with 139 (no hs_err) and most builds fail
 * ("unable to rename temporary ... preproc"); with it every build succeeds. Args: number of engines (default 20).
 */
public final class SignalStormMain {
    private static volatile long sink;

    private SignalStormMain() {
    }

    public static void main(String[] args) {
        int engines = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        AtomicBoolean stop = new AtomicBoolean();
        for (int t = 0; t < 16; t++) {
            Thread spin = new Thread(() -> {
                long x = 0;
                while (!stop.get()) {
                    for (int i = 0; i < 100_000; i++) {
                        x += i * 31L + (x >>> 7);
                    }
                    sink = x + new byte[64].length;   // allocation: GCs, so safepoints
                }
            });
            spin.setDaemon(true);
            spin.start();
        }
        Thread handshakes = new Thread(() -> {
            while (!stop.get()) {
                Thread.getAllStackTraces();
            }
        });
        handshakes.setDaemon(true);
        handshakes.start();
        int failed = 0;
        for (int i = 0; i < engines; i++) {
            try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.OPENCL)) {
                engine.softmax(new float[] {1, 2, 3});
            } catch (RuntimeException e) {
                failed++;
                System.err.println("engine " + i + " failed: " + e.getMessage());
            }
        }
        stop.set(true);
        System.out.println(engines + " engines, " + failed + " failed");
    }
}
