package io.softmaxcl.cli;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.internal.opencl.OpenClBackends;
import io.softmaxcl.internal.opencl.OpenClDeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code softmax-cl devices}: what this machine can compute on. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"Lists the CPU backend and every OpenCL platform and device, with the P:D index that"
                + " 'run --device' and the softmaxcl.device property accept; or why OpenCL is unavailable."})
final class DevicesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (String line : cpuLines()) {
            out.println(line);
        }
        out.println();
        List<OpenClDeviceInfo> devices;
        try {
            devices = OpenClBackends.listDevices();
        } catch (RuntimeException | LinkageError e) {
            // BackendUnavailableException normally; anything else from a broken driver must not hide the CPU line.
            out.println("OpenCL: unavailable: " + CliErrors.describe(e));
            out.flush();
            return 0;
        }
        for (String line : openClLines(devices)) {
            out.println(line);
        }
        out.flush();
        return 0;
    }

    static List<String> cpuLines() {
        List<String> lines = new ArrayList<>();
        boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        lines.add("CPU: " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch")
                + ", Java " + Runtime.version());
        String engineDevice;
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.CPU)) {
            engineDevice = engine.device();
        } catch (RuntimeException | LinkageError e) {
            engineDevice = "unavailable: " + CliErrors.describe(e);
        }
        lines.add("  backend cpu:    " + engineDevice);
        lines.add("  Vector API:     " + (vectorModule ? "jdk.incubator.vector present"
                : "absent: scalar code (run java with --add-modules jdk.incubator.vector)"));
        lines.add("  backend scalar: float64 reference, single-threaded");
        return lines;
    }

    static List<String> openClLines(List<OpenClDeviceInfo> devices) {
        List<String> lines = new ArrayList<>();
        if (devices.isEmpty()) {
            lines.add("OpenCL: no devices");
            return lines;
        }
        lines.add("OpenCL: " + devices.size() + (devices.size() == 1 ? " device" : " devices"));
        TextTable t = new TextTable("P:D", "TYPE", "DEVICE", "PLATFORM", "UNITS", "MAX WG", "LOCAL", "GLOBAL",
                "MAX ALLOC", "OPENCL", "DRIVER");
        for (OpenClDeviceInfo d : devices) {
            t.add(d.platformIndex() + ":" + d.deviceIndex(), d.type(), d.name(), d.platform(),
                    Integer.toString(d.computeUnits()), Long.toString(d.maxWorkGroupSize()), bytes(d.localMemBytes()),
                    bytes(d.globalMemBytes()), bytes(d.maxAllocBytes()), d.openClVersion(), d.driverVersion());
        }
        lines.addAll(t.lines("  "));
        return lines;
    }

    /** Binary units with at most one decimal: 1 KiB, 64 KiB, 22.5 GiB. */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        String num = v == Math.rint(v) || u == 0 ? Long.toString(Math.round(v))
                : String.format(Locale.ROOT, "%.1f", v);
        return num + " " + units[u];
    }
}
