package io.softmaxcl.spark;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Spark GPU addresses against fake OpenCL device lists: no GPU needed. */
class GpuAddressMatchTest {

    // Enumeration order deliberately differs from bus order; the CPU device must never be picked.
    private static final ClDeviceId CPU = new ClDeviceId(0, 0, "pthread-cpu", false, null, null);
    private static final ClDeviceId B = new ClDeviceId(1, 0, "GPU on bus 0x3b", true, "0000:3b:00.0",
            "5f2e0a1b9c8d7e6f00112233445566aa");
    private static final ClDeviceId A = new ClDeviceId(1, 1, "GPU on bus 0x18", true, "0000:18:00.0",
            "0123456789abcdef0123456789abcdef");
    private static final ClDeviceId B_AGAIN = new ClDeviceId(2, 0, "same GPU, second platform", true,
            "0000:3b:00.0", "5f2e0a1b9c8d7e6f00112233445566aa");
    private static final List<ClDeviceId> WITH_IDS = List.of(CPU, B, A, B_AGAIN);

    private static String pick(String address, List<ClDeviceId> devices) {
        return GpuAddressMatch.select(address, devices).map(ClDeviceId::selector).orElse("none");
    }

    @Test
    void pciBusIdInEveryFormDiscoveryScriptsPrint() {
        assertEquals("1:0", pick("00000000:3B:00.0", WITH_IDS));   // nvidia-smi --query-gpu=pci.bus_id
        assertEquals("1:0", pick("0000:3b:00.0", WITH_IDS));       // lspci -D
        assertEquals("1:1", pick("18:00.0", WITH_IDS));            // lspci, no domain
        assertEquals("none", pick("0000:3b:00.1", WITH_IDS));      // another function
        assertEquals("none", pick("0001:3b:00.0", WITH_IDS));      // another domain
    }

    @Test
    void uuidWithOrWithoutNvidiaPrefixAndDashes() {
        assertEquals("1:0", pick("GPU-5f2e0a1b-9c8d-7e6f-0011-2233445566aa", WITH_IDS));
        assertEquals("1:1", pick("0123456789ABCDEF0123456789ABCDEF", WITH_IDS));
        assertEquals("none", pick("GPU-00000000-0000-0000-0000-000000000000", WITH_IDS));
    }

    @Test
    void ordinalCountsGpusInBusOrderOncePerPhysicalGpu() {
        assertEquals("1:1", pick("0", WITH_IDS));    // bus 0x18 first, though enumerated second
        assertEquals("1:0", pick("1", WITH_IDS));    // bus 0x3b, first platform that lists it
        assertEquals("none", pick("2", WITH_IDS));   // the second platform's copy is not a third GPU
    }

    @Test
    void ordinalFallsBackToEnumerationOrderWhenADriverHidesPciInfo() {
        ClDeviceId noPci = new ClDeviceId(1, 2, "old driver", true, null, null);
        List<ClDeviceId> mixed = List.of(CPU, B, A, noPci);
        assertEquals("1:0", pick("0", mixed));
        assertEquals("1:1", pick("1", mixed));
        assertEquals("1:2", pick("2", mixed));
        assertEquals("none", pick("3", mixed));
        // Nor can a PCI id or UUID match a device that does not report one.
        assertEquals("none", pick("0000:42:00.0", List.of(noPci)));
    }

    @Test
    void noGpuOrAnAddressOfNoKnownFormMatchesNothing() {
        assertEquals(Optional.empty(), GpuAddressMatch.select("0", List.of(CPU)));
        assertEquals(Optional.empty(), GpuAddressMatch.select("gpu0", WITH_IDS));
        assertEquals(Optional.empty(), GpuAddressMatch.select("", WITH_IDS));
        assertEquals(Optional.empty(), GpuAddressMatch.select(null, WITH_IDS));
    }
}
