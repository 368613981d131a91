package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;

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
}
