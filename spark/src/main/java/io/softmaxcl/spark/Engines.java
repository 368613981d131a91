package io.softmaxcl.spark;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engines of this executor JVM: one per device (a task's GPU address, or the CPU settings), opened by the first
 * task that needs it, shared by every later task (an engine is thread-safe) and closed when the JVM exits.
 */
final class Engines {

    private static final Logger LOG = LoggerFactory.getLogger(Engines.class);
    private static final Map<String, SoftmaxEngine> OPEN = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Engines::closeAll, "softmax-cl-spark-engines"));
    }

    private Engines() {
    }

    /**
     * The engine for the running task: with {@code backend = "auto"} the OpenCL device of the task's first Spark
     * "gpu" address (the CPU, with one log line, when that cannot be opened), else the CPU; any other backend
     * name is opened as the library's builder would ({@code softmaxcl.device} picks the OpenCL device).
     */
    static SoftmaxEngine forThisTask(String backend, int threads) {
        String gpu = "auto".equalsIgnoreCase(backend) ? gpuAddress(TaskContext.get()) : null;
        String key = gpu != null ? "gpu " + gpu : backend.toLowerCase(java.util.Locale.ROOT) + " threads=" + threads;
        return OPEN.computeIfAbsent(key, k -> gpu != null ? openGpu(gpu, threads) : open(backend, threads));
    }

    private static String gpuAddress(TaskContext task) {
        if (task == null) {
            return null;
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }

    private static SoftmaxEngine open(String backend, int threads) {
        Backend b = "auto".equalsIgnoreCase(backend) ? Backend.CPU : Backend.parse(backend);
        return SoftmaxEngine.builder().backend(b).threads(threads).build();
    }

    static SoftmaxEngine openGpu(String address, int threads) {
        String why;
        try {
            Optional<ClDeviceId> d = GpuAddressMatch.select(address, ClDeviceIds.list());
            if (d.isPresent()) {
                SoftmaxEngine e = SoftmaxEngine.builder().backend(Backend.OPENCL).device(d.get().selector())
                        .threads(threads).build();
                LOG.info("softmax-cl: Spark GPU {} is OpenCL device {} ({}): {}", address, d.get().selector(),
                        d.get().name(), e.device());
                return e;
            }
            why = "no OpenCL GPU has that address (by PCI bus id, UUID or ordinal)";
        } catch (RuntimeException | LinkageError e) {
            why = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        LOG.warn("softmax-cl: Spark assigned GPU {} but it cannot be opened ({}); computing on the CPU", address, why);
        return SoftmaxEngine.builder().backend(Backend.CPU).threads(threads).build();
    }

    private static void closeAll() {
        OPEN.values().forEach(SoftmaxEngine::close);
        OPEN.clear();
    }
}
