package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Run by {@link SignalChainingTest} in a JVM without libjsig: what AUTO picks, and whether a driver got loaded. */
public final class UnchainedAutoProbeMain {

    private UnchainedAutoProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            float[] p = auto.softmax(new float[] {1, 2, 3});
            System.out.println("AUTO=" + auto.backend().id() + " " + p[2]);
        }
        String maps = Files.readString(Path.of("/proc/self/maps"));
        System.out.println("chained=" + SignalChaining.active() + " llvm=" + maps.contains("/libLLVM")
                + " pocl=" + maps.contains("libpocl"));
    }
}
