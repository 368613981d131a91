package io.softmaxcl.internal;

/**
 * Settings an engine is opened with.
 *
 * @param device  OpenCL device selector: null for the default (GPUs first), a name substring, or
 *                {@code "P:D"} platform and device indices
 * @param threads CPU worker threads, or 0 for all available processors
 */
public record EngineConfig(String device, int threads) {

    /** System property naming the default backend ({@code auto|cpu|scalar|opencl}). */
    public static final String BACKEND_PROPERTY = "softmaxcl.backend";
    /** System property with the default OpenCL device selector. */
    public static final String DEVICE_PROPERTY = "softmaxcl.device";
    /** System property with the default CPU thread count. */
    public static final String THREADS_PROPERTY = "softmaxcl.threads";

    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
