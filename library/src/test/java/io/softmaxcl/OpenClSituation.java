package io.softmaxcl;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Which of the README's three OpenCL situations this machine is in, found without OpenCL (from the loader cache and
 * the ICD folder), so that the fallback tests can assert the reason that situation really gives. {@code .ci/run}
 * names the situation it built in {@code SOFTMAXCL_EXPECT_OPENCL} ({@code none}, {@code loader}, {@code platform}),
 * and then that name wins: a run that did not get the situation it built fails.
 */
public enum OpenClSituation {
    /** No libOpenCL.so.1 visible to the dynamic loader. */
    NONE("no OpenCL library"),
    /** The ICD loader, but no driver (.icd) for it to load. */
    LOADER("no OpenCL platform"),
    /** At least one driver: a device, or "no OpenCL device" when its platform has none. */
    PLATFORM(null);

    /** The start of the reason OpenCL gives in this situation (null: it may work). */
    public final String reasonPrefix;

    OpenClSituation(String reasonPrefix) {
        this.reasonPrefix = reasonPrefix;
    }

    /** The situation of this JVM's environment. */
    public static OpenClSituation current() {
        String named = System.getenv("SOFTMAXCL_EXPECT_OPENCL");
        if (named != null && !named.isBlank()) {
            return valueOf(named.trim().toUpperCase(Locale.ROOT));
        }
        if (!libraryVisible()) {
            return NONE;
        }
        return hasIcd(icdFolder()) ? PLATFORM : LOADER;
    }

    /** The situation of a child process whose ICD folder is {@code vendors} (same loader cache). */
    public static OpenClSituation withVendors(Path vendors) {
        OpenClSituation here = current();
        if (here == NONE) {
            return NONE;
        }
        return hasIcd(vendors) ? PLATFORM : LOADER;
    }

    private static Path icdFolder() {
        String v = System.getenv("OCL_ICD_VENDORS");
        return Path.of(v != null && !v.isBlank() ? v : "/etc/OpenCL/vendors");
    }

    private static boolean hasIcd(Path folder) {
        if (Files.isRegularFile(folder)) {
            return true;   // ocl-icd also accepts one .icd file
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".icd"));
        } catch (IOException e) {
            return false;
        }
    }

    /** What `ldconfig -p` would say: libOpenCL.so.1 in the loader cache, or in a LD_LIBRARY_PATH folder. */
    private static boolean libraryVisible() {
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String dir : ld.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.exists(Path.of(dir, "libOpenCL.so.1"))) {
                    return true;
                }
            }
        }
        try {
            Process p = new ProcessBuilder("ldconfig", "-p").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0) {
                return out.contains("libOpenCL.so.1");
            }
        } catch (IOException e) {
            // no ldconfig on PATH: read the cache ourselves below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            return new String(Files.readAllBytes(Path.of("/etc/ld.so.cache")), StandardCharsets.ISO_8859_1)
                    .contains("libOpenCL.so.1");
        } catch (IOException e) {
            return true;   // cannot tell: assume present (the reason checks then accept either)
        }
    }
}
