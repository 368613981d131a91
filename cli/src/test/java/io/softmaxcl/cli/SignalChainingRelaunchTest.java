package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignalChainingRelaunchTest {

    private static boolean loads(boolean poclOnly, String... args) {
        return SignalChainingRelaunch.loadsOpenCl(args, poclOnly);
    }

    @Test
    void commandsThatLoadOpenClRelaunch() {
        assertTrue(loads(true, "devices"));
        assertTrue(loads(true, "bench"));
        assertTrue(loads(true, "bench", "--backend", "all"));
        assertTrue(loads(true, "run", "--backend", "opencl", "--op", "softmax"));
        assertTrue(loads(true, "run", "--backend=opencl"));
        assertTrue(loads(false, "run", "--op", "softmax", "--in", "x.npy", "--out", "y.npy"));
    }

    @Test
    void cpuCommandsHelpAndAutoOnAPoclOnlyMachineDoNot() {
        assertFalse(loads(true, "run", "--backend", "cpu", "--op", "softmax"));
        assertFalse(loads(true, "bench", "--backend=scalar"));
        assertFalse(loads(true, "run", "--op", "softmax", "--in", "x.npy", "--out", "y.npy"));
        assertFalse(loads(true, "run", "--backend", "auto"));
        assertFalse(loads(true, "devices", "--help"));
        assertFalse(loads(true, "--version"));
        assertFalse(loads(true));
    }

    @Test
    void onlyLlvmBasedDriversCallForARelaunch() {
        assertFalse(SignalChainingRelaunch.reason(List.of("libnvidia-opencl.so.1")).isPresent(), "NVIDIA");
        assertFalse(SignalChainingRelaunch.reason(List.of()).isPresent(), "no driver");
        assertTrue(SignalChainingRelaunch.reason(List.of("libpocl.so.2")).orElseThrow().contains("libpocl.so.2"));
        assertTrue(SignalChainingRelaunch.reason(List.of("libnvidia-opencl.so.1", "/usr/lib/x/libpocl.so.2"))
                .isPresent(), "NVIDIA next to PoCL");
        assertTrue(SignalChainingRelaunch.reason(List.of("/usr/lib/oclgrind/liboclgrind-rt-icd.so")).isPresent());
    }

    @Test
    void theChildsIncubatorWarningIsNotPrintedTwice() {
        String child = "WARNING: Using incubator modules: jdk.incubator.vector\nsoftmax-cl: an error\n";
        PrintStream saved = System.err;
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        System.setErr(new PrintStream(seen, true, StandardCharsets.UTF_8));
        try {
            SignalChainingRelaunch.copyWithoutRepeatedWarning(
                    new ByteArrayInputStream(child.getBytes(StandardCharsets.UTF_8)));
            SignalChainingRelaunch.copyWithoutRepeatedWarning(
                    new ByteArrayInputStream("softmax-cl: other\n".getBytes(StandardCharsets.UTF_8)));
        } finally {
            System.setErr(saved);
        }
        assertEquals("softmax-cl: an error\nsoftmax-cl: other\n", seen.toString(StandardCharsets.UTF_8));
    }
}
