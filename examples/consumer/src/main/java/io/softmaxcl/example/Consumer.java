package io.softmaxcl.example;

import io.softmaxcl.SoftmaxEngine;

/** Computes softmax([1, 2, 3]) through the public API and checks it against the exact values. */
public final class Consumer {

    private Consumer() {
    }

    public static void main(String[] args) {
        // exp(k - 3) / (exp(-2) + exp(-1) + 1), k = 1, 2, 3 (float64, rounded)
        double[] expected = {0.09003057317038046, 0.24472847105479764, 0.6652409557748218};
        try (SoftmaxEngine engine = SoftmaxEngine.create()) {
            float[] p = engine.softmax(new float[] {1, 2, 3});
            for (int i = 0; i < expected.length; i++) {
                if (Math.abs(p[i] - expected[i]) > 1e-6 * expected[i]) {
                    throw new AssertionError("softmax[" + i + "] = " + p[i] + ", expected " + expected[i]);
                }
            }
            System.out.println("consumer: softmax([1, 2, 3]) = " + p[0] + " " + p[1] + " " + p[2] + " on "
                    + engine.backend().id() + " (" + Consumer.class.getModule() + ")");
        }
    }
}
