package io.softmaxcl.internal.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jocl.CL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The device class the planner assumes: GPU bit before CPU bit, and the documented override. */
class ClDeviceClassTest {

    private static ClDevice device(long bits) {
        OpenClDeviceInfo info = new OpenClDeviceInfo(0, 0, "p", "d", ClDevice.typeName(bits), 1, 1024, 32768,
                1L << 30, 1L << 28, "OpenCL 1.2", "1");
        return new ClDevice(null, null, info, bits);
    }

    @AfterEach
    void clear() {
        System.clearProperty(ClDevice.DEVICE_TYPE_PROPERTY);
    }

    @Test
    void gpuBitWinsOverCpuBit() {
        // Oclgrind reports GPU|CPU; it must get the plan a GPU with its limits would get.
        assertEquals(false, device(CL.CL_DEVICE_TYPE_GPU | CL.CL_DEVICE_TYPE_CPU).plansAsCpu());
        assertEquals(false, device(CL.CL_DEVICE_TYPE_GPU).plansAsCpu());
        assertEquals(true, device(CL.CL_DEVICE_TYPE_CPU).plansAsCpu());
        assertEquals(false, device(CL.CL_DEVICE_TYPE_ACCELERATOR).plansAsCpu());
    }

    @Test
    void propertyOverridesTheReportedType() {
        System.setProperty(ClDevice.DEVICE_TYPE_PROPERTY, "gpu");
        assertEquals(false, device(CL.CL_DEVICE_TYPE_CPU).plansAsCpu());
        System.setProperty(ClDevice.DEVICE_TYPE_PROPERTY, "CPU");
        assertEquals(true, device(CL.CL_DEVICE_TYPE_GPU).plansAsCpu());
        System.setProperty(ClDevice.DEVICE_TYPE_PROPERTY, "fpga");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> device(CL.CL_DEVICE_TYPE_GPU).plansAsCpu());
        assertTrue(e.getMessage().contains("softmaxcl.opencl.deviceType") && e.getMessage().contains("fpga"),
                e.getMessage());
    }
}
