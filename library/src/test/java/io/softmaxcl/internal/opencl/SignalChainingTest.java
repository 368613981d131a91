package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The test forks run with JVM signal chaining (the pom's jvm-signal-chaining profile preloads libjsig): without
 * it PoCL's LLVM takes over the JVM's SIGSEGV handler and the concurrency tests kill the fork now and then
 * (exit 139, no hs_err). This fails every time instead of once in a few runs.
 */
class SignalChainingTest {

    @Test
    void anInProcessLlvmDriverFindsTheJvmHandlersChained() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "no /proc/self/maps (not Linux)");
        TestBackends.open(Backend.OPENCL).close();
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.OPENCL)) {
            engine.softmax(new float[] {1, 2, 3});
        }
        assertNull(OpenClRuntime.signalChainingProblem());
    }

    @Test
    void withoutChainingAutoLeavesAPoclOnlyDriverUnloaded() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "no /proc/self/maps (not Linux)");
        TestBackends.requireOpenCl();
        assumeTrue(SignalChaining.onlyInProcessCompilerDrivers(), "a driver other than PoCL is registered");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), UnchainedAutoProbeMain.class.getName());
        pb.environment().remove("LD_PRELOAD");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + err);
        assertTrue(out.contains("AUTO=cpu 0.66524"), out + err);
        // AUTO chose the CPU without loading the driver at all: nothing replaced the JVM's signal handlers.
        assertTrue(out.contains("chained=false llvm=false pocl=false"), out + err);
        assertTrue(err.contains("left unloaded"), err);
    }
}
