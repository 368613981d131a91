package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.Log;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Properties;

/**
 * The auto-tuner's memory: for each device (name, platform and driver version) and shape class (rows and columns
 * rounded up to powers of two), the forward variant that measured fastest. Kept in a properties file so that a
 * machine tunes each shape class once. Enabled with {@value #TUNE_PROPERTY}{@code =on} (off by default: a
 * library should not write to the user's home unasked, and on a shared machine a timing can mislead); the file is
 * {@value #FILE_PROPERTY}, default {@code ~/.cache/softmax-cl/opencl-tuning.properties}.
 */
final class TuningCache {

    static final String TUNE_PROPERTY = "softmaxcl.opencl.tune";
    static final String FILE_PROPERTY = "softmaxcl.opencl.tuneFile";

    private final Path file;
    private final String devicePrefix;
    private final Properties entries = new Properties();

    private TuningCache(Path file, String devicePrefix) {
        this.file = file;
        this.devicePrefix = devicePrefix;
    }

    /** The cache for a device, or null when tuning is off. */
    static TuningCache forDevice(OpenClDeviceInfo info) {
        if (!"on".equalsIgnoreCase(System.getProperty(TUNE_PROPERTY, "off").trim())) {
            return null;
        }
        String f = System.getProperty(FILE_PROPERTY);
        Path file = f != null ? Path.of(f)
                : Path.of(System.getProperty("user.home"), ".cache", "softmax-cl", "opencl-tuning.properties");
        String prefix = (info.name() + "|" + info.platform() + "|" + info.driverVersion())
                .replaceAll("[^A-Za-z0-9._|+-]", "_");
        TuningCache cache = new TuningCache(file, prefix);
        cache.load();
        return cache;
    }

    /** The shape class of {@code rows × cols}: both rounded up to a power of two. */
    String key(int rows, int cols) {
        return devicePrefix + "|r" + ceilPow2(rows) + "|c" + ceilPow2(cols);
    }

    synchronized KernelPlan.Variant get(int rows, int cols) {
        String v = entries.getProperty(key(rows, cols));
        try {
            return v == null ? null : KernelPlan.Variant.parse(v);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    synchronized void put(int rows, int cols, KernelPlan.Variant variant) {
        entries.setProperty(key(rows, cols), variant.name());
        save();
    }

    private static int ceilPow2(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    private void load() {
        if (!Files.isReadable(file)) {
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            entries.load(in);
        } catch (IOException | IllegalArgumentException e) {
            Log.warn("ignoring unreadable OpenCL tuning cache " + file + ": " + e.getMessage());
        }
    }

    /** Writes a temporary file and renames it, so that a reader never sees half a file. */
    private void save() {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "opencl-tuning", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                entries.store(out, "softmax-cl OpenCL auto-tuner: fastest forward variant per device and shape class");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            Log.warn("cannot write the OpenCL tuning cache " + file + ": " + e.getMessage().toLowerCase(Locale.ROOT));
        }
    }
}
