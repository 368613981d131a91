package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNull;
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
}
