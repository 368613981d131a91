package io.softmaxcl.internal.opencl;

/**
 * Runs kernels/sampling.cl once per kernel for Oclgrind traffic counts: `OCL_ICD_VENDORS=<dir with an oclgrind .icd>
 * OCLGRIND_INST_COUNTS=1 java -cp library/target/test-classes:library/target/classes:jocl.jar
 * io.softmaxcl.internal.opencl.SamplingTrafficMain ROWS COLS`; "load global" bytes / (ROWS · COLS) is B/logit.
 */
public final class SamplingTrafficMain {
    private SamplingTrafficMain() {
    }

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int cols = Integer.parseInt(args[1]);
        float[] x = new float[rows * cols];
        java.util.Random random = new java.util.Random(1);
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) random.nextGaussian();
        }
        int[] tokens = new int[rows];
        float[] out = new float[rows];
        try (SamplingKernels k = new SamplingKernels(null)) {
            System.err.println("@@run argmax");
            k.argmax(x, rows, cols, tokens);
            System.err.println("@@run logsumexp");
            k.logSumExp(x, rows, cols, out);
            System.err.println("@@run entropy");
            k.entropy(x, rows, cols, out);
        }
        System.err.println("done: token " + tokens[0] + ", entropy " + out[0]);
    }
}
