package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.Reference;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AUTO's per-call placement: the model's arithmetic, its measurement on a real device, and the routing it drives. */
class OffloadRuleTest {

    // A PCIe 4 GPU beside a slow CPU: 25 GB/s each way, 2 TB/s on the device, 10 us a launch, 1 ns per element.
    private static final OffloadRule.Speeds SLOW_CPU = new OffloadRule.Speeds(25, 25, 2000, 10_000, 1.0);

    @Test
    void smallCallsStayOnTheCpuAndLargeOnesGoToTheDevice() {
        OffloadRule rule = OffloadRule.of(SLOW_CPU);
        // Per float32 softmax element: 4/25 + 4/25 + 8/2000 = 0.324 ns of transfers and kernel; the launch costs
        // 10 us, so the device wins from 10000 / (1 - 0.324) = 14793 elements.
        assertEquals(14_793, SLOW_CPU.crossoverElements());
        assertFalse(rule.onDevice(14_700, 4 * 14_700, 4 * 14_700));
        assertTrue(rule.onDevice(14_900, 4 * 14_900, 4 * 14_900));
        assertFalse(rule.onDevice(10, 40, 40));
        assertTrue(rule.onDevice(64 * 151_936, 4L * 64 * 151_936, 4L * 64 * 151_936));
    }

    @Test
    void aCpuFasterThanTheBusKeepsEveryHostArrayCallOnTheCpu() {
        // 0.1 ns per element (80 GB/s at 8 bytes) beats the 0.32 ns the transfers alone take.
        OffloadRule.Speeds fast = new OffloadRule.Speeds(25, 25, 2000, 10_000, 0.1);
        assertEquals(-1, fast.crossoverElements());
        assertFalse(OffloadRule.of(fast).onDevice(1L << 30, 4L << 30, 4L << 30));
        assertTrue(fast.toString().contains("stay on the CPU"), fast.toString());
        assertTrue(OffloadRule.always().onDevice(1, 4, 4), "a named device takes every call");
    }

    @Test
    void theSpeedsMeasuredOnThisDeviceArePositiveAndPriceItsTransfers() {
        OpenClBackend b = OpenClTestData.backend();
        OffloadRule.Speeds s = OffloadRule.measure(b, io.softmaxcl.internal.cpu.CpuBackends.create(2));
        assertTrue(s.hostToDevice() > 0 && s.deviceToHost() > 0 && s.deviceCopy() > 0, s.toString());
        assertTrue(s.launchNs() >= 1 && s.cpuNsPerElement() > 0, s.toString());
        // A 1 x 10 softmax: a launch and two transfers cannot beat 10 elements on the CPU.
        assertFalse(OffloadRule.of(s).onDevice(10, 40, 40), s.toString());
    }

    @Test
    void aCpuMeasuredDuringItsWarmUpIsMeasuredAgainOnceWarm() {
        OpenClBackend b = OpenClTestData.backend();
        io.softmaxcl.internal.ComputeBackend real = io.softmaxcl.internal.cpu.CpuBackends.create(1);
        boolean[] warming = {true};
        int[] calls = {0};
        io.softmaxcl.internal.ComputeBackend cpu = (io.softmaxcl.internal.ComputeBackend) java.lang.reflect.Proxy
                .newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {io.softmaxcl.internal.ComputeBackend.class}, (proxy, m, args) -> {
                            if (m.getName().equals("warmingUp")) {
                                return warming[0];
                            }
                            if (m.getName().equals("forward")) {
                                calls[0]++;
                            }
                            return m.invoke(real, args);
                        });
        OffloadRule rule = OffloadRule.measured(b, () -> cpu);
        rule.onDevice(10, 40, 40);
        assertEquals(12, calls[0], "measured once (2 warm-up runs and 10 timed)");
        rule.onDevice(10, 40, 40);
        assertEquals(12, calls[0], "not again while the CPU still warms up");
        warming[0] = false;
        rule.onDevice(10, 40, 40);
        assertEquals(24, calls[0], "measured again once warm");
        rule.onDevice(10, 40, 40);
        assertEquals(24, calls[0], "and then kept");
        real.close();
    }

    @Test
    void autoRunsEachCallWhereTheRulePlacesIt() {
        io.softmaxcl.TestBackends.requireOpenCl();
        OpenClBackend device = (OpenClBackend) OpenClBackends.open(new io.softmaxcl.internal.EngineConfig(null, 0));
        try (AutoFallbackBackend auto = new AutoFallbackBackend(device, 2, OffloadRule.of(SLOW_CPU))) {
            // No call fits the device's budget now: a call the rule keeps on the CPU never notices.
            device.setBudgetBytes(1);
            int rows = 4;
            int cols = 100;
            float[] x = OpenClTestData.batch(rows, cols, 1, true);
            float[] y = new float[x.length];
            auto.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, "kept on the CPU");
            assertEquals(Backend.OPENCL, auto.kind(), "a small call did not touch the device");
            // A large one goes to the device, fails there, and finishes on the CPU.
            rows = 40;
            cols = 1000;
            x = OpenClTestData.batch(rows, cols, 2, true);
            y = new float[x.length];
            auto.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, "after the device");
            assertEquals(Backend.CPU, auto.kind(), "the large call ran on the device (and failed there)");
        }
    }
}
