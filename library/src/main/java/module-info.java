/**
 * softmax-cl: batched softmax and its relatives on OpenCL devices and a multi-threaded CPU backend.
 *
 * <p>Only {@code io.softmaxcl} is API. The Vector API module is optional: start the JVM with
 * {@code --add-modules jdk.incubator.vector} to get the vector CPU kernels; without it the CPU backend uses scalar
 * code. The same jar works on the class path (the CLI's runnable jar uses it that way).
 */
module io.softmaxcl {
    requires static jdk.incubator.vector;
    requires java.logging;
    requires java.management;
    requires jocl;

    exports io.softmaxcl;
}
