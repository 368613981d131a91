package io.softmaxcl.cli;

import io.softmaxcl.TestBackends;
import io.softmaxcl.internal.opencl.OpenClDeviceInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code devices}: the CPU always, then each OpenCL device in an aligned table or the reason there is none. */
class DevicesCommandTest {

    @Test
    void listsTheCpuAndOpenClOrWhyNot() {
        Cli.Result r = Cli.run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("CPU: " + Runtime.getRuntime().availableProcessors() + " cores"), r.out());
        assertTrue(r.out().contains("backend cpu:"), r.out());
        String reason = TestBackends.openClUnavailableReason();
        if (reason != null) {
            assertTrue(r.out().contains("OpenCL: unavailable: " + reason), r.out());
        } else {
            assertTrue(r.out().contains("P:D") && r.out().contains("0:0"), r.out());
        }
    }

    @Test
    void openClTableColumnsLineUp() {
        List<String> lines = DevicesCommand.openClLines(List.of(
                new OpenClDeviceInfo(0, 0, "Portable Computing Language", "cpu-haswell-AMD EPYC 7B13", "CPU", 2,
                        4096, 1L << 20, 24L << 30, 8L << 30, "OpenCL 3.0 PoCL", "6.0"),
                new OpenClDeviceInfo(1, 12, "NVIDIA CUDA", "NVIDIA H200", "GPU", 132, 1024, 48L << 10,
                        150_000_000_000L, 35_000_000_000L, "OpenCL 3.0 CUDA", "570.86")));
        assertEquals("OpenCL: 2 devices", lines.get(0));
        String header = lines.get(1);
        String pocl = lines.get(2);
        String gpu = lines.get(3);
        assertTrue(pocl.startsWith("  0:0 ") && gpu.startsWith("  1:12"), pocl + "\n" + gpu);
        for (String column : List.of("TYPE", "DEVICE", "PLATFORM", "UNITS", "MAX WG", "LOCAL", "GLOBAL", "MAX ALLOC",
                "OPENCL", "DRIVER")) {
            int at = header.indexOf(column);
            assertTrue(at > 0, column);
            assertTrue(pocl.charAt(at - 1) == ' ' && pocl.charAt(at) != ' ', column + " aligned:\n" + header + "\n"
                    + pocl);
            assertTrue(gpu.charAt(at - 1) == ' ' && gpu.charAt(at) != ' ', column + " aligned:\n" + header + "\n"
                    + gpu);
        }
        assertTrue(pocl.contains("1 MiB") && pocl.contains("24 GiB") && pocl.contains("8 GiB"), pocl);
        assertTrue(gpu.contains("48 KiB") && gpu.contains("139.7 GiB") && gpu.contains("32.6 GiB"), gpu);
    }

    @Test
    void noDevicesIsSaidPlainly() {
        assertEquals(List.of("OpenCL: no devices"), DevicesCommand.openClLines(List.of()));
    }

    @Test
    void byteCountsUseBinaryUnits() {
        assertEquals("0 B", DevicesCommand.bytes(0));
        assertEquals("1023 B", DevicesCommand.bytes(1023));
        assertEquals("1 KiB", DevicesCommand.bytes(1024));
        assertEquals("1.5 KiB", DevicesCommand.bytes(1536));
        assertEquals("64 KiB", DevicesCommand.bytes(64 << 10));
        assertEquals("22.5 GiB", DevicesCommand.bytes(45L << 29));
    }
}
