package io.softmaxcl.internal.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GPU path on Oclgrind, a simulated GPU (1024-wide work-groups, 32 KiB local memory) run in the GPU class
 * ({@code softmaxcl.opencl.deviceType=gpu}): every variant and op on boundary shapes with its race, bounds and API
 * checks on, where any report fails; and the planner's own plans within the global-traffic bounds of
 * {@link OclgrindTraffic}. Slow, so it runs only when asked: {@code -Dsoftmaxcl.oclgrind=on} (.ci/run does); then
 * a missing Oclgrind skips, or fails under CI=true. Each probe runs in a child JVM whose only OpenCL driver is
 * Oclgrind (an ICD folder of its own).
 */
class OclgrindTest {

    static final String ENABLE_PROPERTY = "softmaxcl.oclgrind";
    static final String LIB_PROPERTY = "softmaxcl.oclgrind.lib";

    // What Oclgrind's checkers print (races, out-of-bounds, divergence, API misuse); none may appear.
    private static final Pattern REPORT = Pattern.compile("(?i)(data race|invalid (read|write)|out-of-bounds|"
            + "divergence|oclgrind - |runtime error|uninitiali[sz]ed|unaligned)");

    @Test
    void everyVariantAndOpOnBoundaryShapesWithoutAnyReport() throws Exception {
        String out = probe(Map.of("OCLGRIND_DATA_RACES", "1", "OCLGRIND_CHECK_API", "1"), "suite");
        List<String> reports = new ArrayList<>();
        String label = "(start)";
        for (String line : out.split("\n")) {
            if (line.startsWith("@@run ")) {
                label = line.substring(6);
            } else if (REPORT.matcher(line).find()) {
                reports.add(label + ": " + line.trim());
            }
        }
        assertTrue(reports.isEmpty(), "Oclgrind reported " + reports.size() + " problem(s), first: "
                + reports.subList(0, Math.min(10, reports.size())));
    }

    @Test
    void thePlannersOwnPlansMoveAtMostTheBoundedBytesPerElement() throws Exception {
        String out = probe(Map.of("OCLGRIND_INST_COUNTS", "1"), "traffic");
        List<OclgrindTraffic.Row> rows = OclgrindTraffic.parse(out);
        String table = OclgrindTraffic.table(rows);
        System.out.println(table);
        Files.writeString(Path.of("target", "oclgrind-traffic.md"), table);
        assertTrue(rows.size() >= 20, "too few measured runs:\n" + out);
        List<String> over = new ArrayList<>();
        for (OclgrindTraffic.Row r : rows) {
            if (r.bound() > 0 && r.bytesPerElement() > r.bound()) {
                over.add(r.label() + ": " + r.bytesPerElement() + " > " + r.bound());
            }
        }
        assertEquals(List.of(), over, "global traffic above its bound:\n" + table);
    }

    /** Runs {@link OclgrindProbeMain} {@code mode} on Oclgrind; returns its merged stdout and stderr. */
    static String probe(Map<String, String> env, String mode) throws IOException, InterruptedException {
        Assumptions.assumeTrue("on".equalsIgnoreCase(System.getProperty(ENABLE_PROPERTY, "off")),
                "Oclgrind checks run with -D" + ENABLE_PROPERTY + "=on");
        Path lib = Path.of(System.getProperty(LIB_PROPERTY, "/usr/lib/oclgrind/liboclgrind-rt-icd.so"));
        if (!Files.exists(lib)) {
            String why = "Oclgrind is not installed (" + lib + " missing; apt-get install oclgrind)";
            if (TestBackends.openClRequired()) {
                fail(why + " but CI=true");
            }
            Assumptions.abort(why);
        }
        Path icd = Path.of("target", "oclgrind-icd");
        Files.createDirectories(icd);
        Files.writeString(icd.resolve("oclgrind.icd"), lib + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dsoftmaxcl.opencl.deviceType=gpu",
                "-D" + OpenClBackend.MAX_BYTES_PROPERTY + "=" + System.getProperty(OpenClBackend.MAX_BYTES_PROPERTY,
                        mode.equals("suite") ? "200000" : "1000000000"),
                "-cp", System.getProperty("java.class.path"), OclgrindProbeMain.class.getName(), mode);
        pb.environment().putAll(env);
        pb.environment().put("OCL_ICD_VENDORS", icd.toAbsolutePath().toString());
        pb.environment().put("LD_PRELOAD", Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        Files.writeString(Path.of("target", "oclgrind-" + mode + ".log"), out);
        assertEquals(0, rc, "the Oclgrind probe failed (log in target/oclgrind-" + mode + ".log):\n"
                + tail(out, 4000));
        assertTrue(out.contains("@@done"), "the probe did not finish:\n" + tail(out, 4000));
        return out;
    }

    private static String tail(String s, int n) {
        return s.length() <= n ? s : "..." + s.substring(s.length() - n);
    }

}
