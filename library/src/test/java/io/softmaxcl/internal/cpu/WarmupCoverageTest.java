package io.softmaxcl.internal.cpu;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The background warm-ups leave no branch of the vector kernels or the half-precision lanes unseen: after them, an
 * application's first calls (rows with and without a vector tail, long and short, holding NaN, ±Inf; float32, f16
 * and bf16) make C2 throw away no compiled kernel. Each
 * such deoptimization sends a kernel back to boxed vectors until C2 compiles it again: a first 32×32000 softmax
 * measured 4–20 ms a call instead of 0.25 ms. Runs {@link RecompileProbe} in a fresh JVM with the warm-up on (this
 * JVM's kernels have long seen every shape).
 */
class WarmupCoverageTest {

    private static final long HANG_GUARD_SECONDS = 300;

    @Test
    void firstCallsAfterTheWarmupDeoptimizeNoVectorKernel() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-D" + CpuBackends.WARMUP_PROPERTY + "=true", "-cp", System.getProperty("java.class.path"),
                RecompileProbe.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, process.exitValue(), "probe failed:\n" + output);
        assertTrue(output.lines().anyMatch("done"::equals), "probe did not finish its calls:\n" + output);
        String deopts = output.lines().filter(l -> l.startsWith("deopt:")).collect(Collectors.joining("\n"));
        assertEquals("", deopts, "vector kernels deoptimized by first calls after the warm-up");
    }
}
