package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.SoftmaxEngine;

/** Run in a forked JVM by {@link OpenClFallbackTest}: prints what AUTO and OPENCL give in that environment. */
public final class FallbackProbeMain {

    private FallbackProbeMain() {
    }

    public static void main(String[] args) {
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            float[] p = auto.softmax(new float[] {1, 2, 3});
            System.out.println("AUTO=" + auto.backend().id() + " " + p[0] + " " + p[1] + " " + p[2]);
        }
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            System.out.println("AUTO2=" + auto.backend().id());
        }
        try (SoftmaxEngine cl = SoftmaxEngine.create(Backend.OPENCL)) {
            System.out.println("OPENCL=opened " + cl.device());
        } catch (BackendUnavailableException e) {
            System.out.println("OPENCL=unavailable " + e.getMessage());
        }
    }
}
