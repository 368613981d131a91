package io.softmaxcl.internal.opencl;
/**
 * Runs kernels/sampling.cl once per kernel for Oclgrind traffic counts: `OCL_ICD_VENDORS=<dir with an oclgrind .icd>
 * OCLGRIND_INST_COUNTS=1 java -cp library/target/test-classes:library/target/classes:jocl.jar
 * io.softmaxcl.internal.opencl.SamplingTrafficMain ROWS COLS`; "load global" bytes / (ROWS · COLS) is B/logit.
 */
public final class SamplingTrafficMain {
    private SamplingTrafficMain() {
    }

    public static void main(String[] a) {
        int rows = Integer.parseInt(a[0]), cols = Integer.parseInt(a[1]);
        float[] x = new float[rows * cols];
        java.util.Random r = new java.util.Random(1);
        for (int j = 0; j < x.length; j++) x[j] = (float) r.nextGaussian();
        int[] am = new int[rows]; float[] o = new float[rows];
        try (SamplingKernels k = new SamplingKernels(null)) {
            System.err.println("@@run argmax"); k.argmax(x, rows, cols, am);
            System.err.println("@@run logsumexp"); k.logSumExp(x, rows, cols, o);
            System.err.println("@@run entropy"); k.entropy(x, rows, cols, o);
        }
        System.err.println("done " + am[0] + " " + o[0]);
    }
}
