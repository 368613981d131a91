package io.softmaxcl.cli;

import java.lang.management.ManagementFactory;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether HotSpot's JIT compilers are idle, from the {@code Compiler.queue} diagnostic command (what
 * {@code jcmd PID Compiler.queue} prints). A warm-up that ends while the hot code is still queued for C2 times
 * the interpreter or C1: on a busy machine that made the first shape of a run 10-100x slower than the same shape
 * measured later (and Vector API code is slowest of all before C2). Where the command is missing (another VM),
 * the JIT counts as idle and the warm-up is time-based only.
 */
final class JitActivity {

    private static final Probe PROBE = Probe.create();

    private JitActivity() {
    }

    /** True when no compilation is running or queued (or when that cannot be known). */
    static boolean idle() {
        return PROBE == null || PROBE.idle();
    }

    /** Parses the command's output: idle when "Current compiles" lists nothing and every queue is "Empty". */
    static boolean idle(String report) {
        boolean inCurrent = false;
        boolean inQueue = false;
        for (String raw : report.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("Current compiles:")) {
                inCurrent = true;
                inQueue = false;
            } else if (line.endsWith("compile queue:")) {
                inCurrent = false;
                inQueue = true;
            } else if (!line.isEmpty() && (inCurrent || (inQueue && !line.equals("Empty")))) {
                return false;
            }
        }
        return true;
    }

    private record Probe(MBeanServer server, ObjectName name) {

        static Probe create() {
            try {
                Probe probe = new Probe(ManagementFactory.getPlatformMBeanServer(),
                        new ObjectName("com.sun.management:type=DiagnosticCommand"));
                probe.report();
                return probe;
            } catch (Exception | LinkageError e) {
                return null;
            }
        }

        String report() throws Exception {
            return String.valueOf(server.invoke(name, "compilerQueue", new Object[] {new String[0]},
                    new String[] {String[].class.getName()}));
        }

        boolean idle() {
            try {
                return JitActivity.idle(report());
            } catch (Exception e) {
                return true;
            }
        }
    }
}
