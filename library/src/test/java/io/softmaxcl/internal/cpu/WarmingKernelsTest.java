package io.softmaxcl.internal.cpu;

import io.softmaxcl.Reference;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.softmaxcl.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarmingKernelsTest {

    private static void checkSoftmax(RowKernels kernels, int rows, int cols, String what) {
        SplittableRandom random = new SplittableRandom(rows * 31L + cols);
        float[] x = new float[rows * cols];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) (random.nextGaussian() * 4);
        }
        float[] y = new float[x.length];
        kernels.softmaxRows(x, 0, y, 0, rows, cols, 1f, new float[kernels.scratchSize(cols)]);
        assertClose(Reference.softmax(x, rows, cols), y, cols, 1e-5, 1e-7, what);
    }

    @Test
    void computesCorrectlyBeforeAndAfterTheSwitchToVectorKernels() throws InterruptedException {
        RowKernels vector = new VectorRowKernels();
        WarmingKernels kernels = new WarmingKernels(vector, new ScalarRowKernels());
        // Whichever kernels a call lands on, the result is right: first while warming (scalar) ...
        checkSoftmax(kernels, 37, 10, "tiny rows while warming");
        checkSoftmax(kernels, 3, 4099, "long rows while warming");
        assertTrue(WarmingKernels.awaitReady(60_000), "vector kernels never became ready");
        // ... then on the compiled vector kernels, with the scratch sized for both.
        checkSoftmax(kernels, 37, 10, "tiny rows after warm-up");
        checkSoftmax(kernels, 3, 4099, "long rows after warm-up");
    }

    /**
     * The backends call kernels through WarmingKernels: a kernel a provider overrides but WarmingKernels does not
     * delegate runs RowKernels' generic version on the WarmingKernels object instead (maxExpStoreSum and maxExpSum
     * did: the streamed softmax and the split log-softmax made a call per block instead of the fused loop).
     */
    @Test
    void delegatesEveryKernelAProviderOverrides() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Class<?> provider : List.of(VectorRowKernels.class, ScalarRowKernels.class)) {
            for (Method m : provider.getDeclaredMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || Modifier.isPrivate(m.getModifiers()) || m.isSynthetic()) {
                    continue;
                }
                Method base;
                try {
                    base = RowKernels.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
                } catch (NoSuchMethodException e) {
                    continue; // the provider's own helper, not a kernel
                }
                try {
                    WarmingKernels.class.getDeclaredMethod(base.getName(), base.getParameterTypes());
                } catch (NoSuchMethodException e) {
                    missing.add(provider.getSimpleName() + "." + m.getName());
                }
            }
        }
        assertEquals(List.of(), missing, "kernels WarmingKernels does not delegate");
    }
}
