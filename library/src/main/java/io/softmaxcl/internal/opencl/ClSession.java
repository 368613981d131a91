package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.Log;
import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.util.HashMap;
import java.util.Map;

/**
 * Everything one OpenCL backend holds on its device, and their release: context, queue, the main program and its
 * kernels, the forward kernels built for half-precision storage, the held-row and fixed-column programs, and the scratch buffers reused across calls (grown, never
 * shrunk). Not thread-safe: its owner serialises calls.
 */
final class ClSession {

    /** System property with extra build options appended to the defaults (experiments, e.g. {@code -DUNALIGNED_PTR=0}). */
    static final String BUILD_OPTIONS_PROPERTY = "softmaxcl.opencl.buildOptions";

    /** System property overriding how many row elements the work-group kernel caches in local memory (tests). */
    static final String CACHE_FLOATS_PROPERTY = "softmaxcl.opencl.cacheFloats";

    /**
     * System property: {@code auto} (default: pinned staging and two queues on GPU-class devices, plain blocking
     * transfers on CPU devices, where host memory is device memory and staging is one more copy), {@code on}, {@code off}.
     */
    static final String PINNED_PROPERTY = "softmaxcl.opencl.pinned";

    private static final String[] KERNELS = {"softmax_item_softmax", "softmax_item_partial_softmax",
            "softmax_item_finish_softmax", "softmax_item_log_softmax", "softmax_item_partial_log_softmax",
            "softmax_item_finish_log_softmax", "softmax_item_masked_softmax", "softmax_item_partial_masked_softmax",
            "softmax_item_finish_masked_softmax", "softmax_group", "softmax_group_partial", "softmax_group_finish",
            "softmax_team", "softmax_backward", "softmax_backward_item", "cross_entropy", "cross_entropy_item",
            "row_argmax", "row_logsumexp", "row_entropy"};

    /** The forward kernels, built once more for each half-precision {@link Storage} a call uses. */
    private static final String[] FORWARD_KERNELS = java.util.Arrays.stream(KERNELS)
            .filter(k -> k.startsWith("softmax_") && !k.startsWith("softmax_backward")).toArray(String[]::new);

    /** The kernels with one storage type for all their rows: built too when a storage's input and output agree. */
    private static final String[] SAME_TYPE_KERNELS = {"softmax_backward", "softmax_backward_item", "cross_entropy",
            "cross_entropy_item", "storage_decode", "storage_encode"};

    /** The kernels launched with work-groups of the build's WG (whose own limit may be lower than the device's). */
    private static final String[] GROUP_KERNELS = {"softmax_group", "softmax_group_partial", "softmax_group_finish",
            "softmax_team", "softmax_backward", "cross_entropy", "row_argmax", "row_logsumexp", "row_entropy"};

    final ClDevice device;
    private final boolean asCpu;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    /** Kernels of the programs built for half-precision storage, by storage; and those programs. */
    private final Map<Storage, Map<String, cl_kernel>> storageKernels = new HashMap<>();
    private final java.util.List<cl_program> storagePrograms = new java.util.ArrayList<>();
    private cl_context context;
    private cl_command_queue queue;
    /** The second queue of {@link ChunkPipeline} (transfers), made with it on first use. */
    private cl_command_queue transferQueue;
    private ChunkPipeline pipeline;
    private cl_program program;
    private int groupSize;
    /** Row elements softmax_group caches in local memory: what the device has beyond the kernel's own arrays. */
    private long cacheFloats;
    private HeldPrograms held;
    private FixedColsPrograms fixedCols;
    private SamplerProgram sampler;
    /** Scratch buffers; which one holds what is up to each operation. */
    DeviceBuffer bufA;
    DeviceBuffer bufB;
    DeviceBuffer bufC;
    DeviceBuffer bufMask;
    DeviceBuffer bufPartial;
    /** Float rows of the work-item kernels writing half output (one per work-item, see softmax_item.cl). */
    DeviceBuffer bufScratch;

    /** Opens a session whose work-group kernels run {@code groupSize} wide, or narrower if the driver says so. */
    ClSession(ClDevice device, int groupSize, boolean asCpu) {
        this.device = device;
        this.groupSize = groupSize;
        this.asCpu = asCpu;
        try {
            context = Cl.createContext(device.id());
            queue = Cl.createQueue(context, device.id());
            buildMainProgram();
            held = new HeldPrograms(context, device, "-w " + System.getProperty(BUILD_OPTIONS_PROPERTY, ""));
            fixedCols = new FixedColsPrograms(context, device, buildOptions());
            sampler = new SamplerProgram(context, device, groupSize,
                    "-w " + System.getProperty(BUILD_OPTIONS_PROPERTY, ""));
            bufA = newBuffer();
            bufB = newBuffer();
            bufC = newBuffer();
            bufMask = newBuffer();
            bufPartial = newBuffer();
            bufScratch = newBuffer();
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    /**
     * Builds the program of every family at the work-group size {@code groupSize}; when a work-group kernel cannot
     * run that wide here ({@code CL_KERNEL_WORK_GROUP_SIZE}), steps the size down and rebuilds rather than fail at
     * launch. Then sizes softmax_group's row cache from the local memory its own arrays leave.
     */
    private void buildMainProgram() {
        while (true) {
            program = Cl.buildProgram(context, device.id(), KernelSources.program(), buildOptions(),
                    device.info().name());
            for (String k : KERNELS) {
                kernels.put(k, Cl.createKernel(program, k));
            }
            long max = Long.MAX_VALUE;
            for (String k : GROUP_KERNELS) {
                max = Math.min(max, Cl.kernelWorkGroupLong(kernels.get(k), device.id(), CL.CL_KERNEL_WORK_GROUP_SIZE));
            }
            if (max >= groupSize || groupSize == 1) {
                break;
            }
            Log.debug("OpenCL: work-group kernels run at most " + max + " wide on " + device.info().name()
                    + "; rebuilding at " + Long.highestOneBit(Math.max(1, max)) + " instead of " + groupSize);
            kernels.values().forEach(Cl::release);
            kernels.clear();
            Cl.release(program);
            groupSize = (int) Long.highestOneBit(Math.max(1, max));
        }
        long own = Cl.kernelWorkGroupLong(kernels.get("softmax_group"), device.id(), CL.CL_KERNEL_LOCAL_MEM_SIZE);
        // On GPUs: what local memory the kernel's reduction arrays leave (less 256 bytes for the driver), if at
        // least 1024 floats; a row that fits is then read from global memory once.
        long free = (device.info().localMemBytes() - own - 256) / 4;
        cacheFloats = Long.getLong(CACHE_FLOATS_PROPERTY, asCpu || free < 1024 ? 0 : free);
    }

    private String buildOptions() {
        // -w: compilers' warnings would otherwise reach stderr on some drivers (PoCL prints "N warnings generated").
        return "-w -DWG=" + groupSize + " -DVW=16 " + System.getProperty(BUILD_OPTIONS_PROPERTY, "");
    }

    cl_command_queue queue() {
        return queue;
    }

    /** The transfer queue of the pipelined transfers (created on first use). */
    cl_command_queue transferQueue() {
        if (transferQueue == null) {
            transferQueue = Cl.createQueue(context, device.id());
        }
        return transferQueue;
    }

    /** Forward calls on host arrays go through pinned staging and two queues ({@value #PINNED_PROPERTY}). */
    boolean pipelined() {
        String mode = System.getProperty(PINNED_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
        return mode.equals("on") || (mode.equals("auto") && !asCpu);
    }

    /** The pinned, two-queue chunk loop (created on first use). */
    ChunkPipeline pipeline() {
        if (pipeline == null) {
            transferQueue();
            pipeline = new ChunkPipeline(this);
        }
        return pipeline;
    }

    cl_context context() {
        return context;
    }

    /** A kernel of the main program, by its OpenCL name. */
    cl_kernel kernel(String name) {
        return kernels.get(name);
    }

    /**
     * Kernel {@code name} for rows stored as {@code storage}: the main program's for float32, else from the
     * forward families (and, when input and output types agree, the backward and cross-entropy families) built
     * with the storage's defines (on first use; kept until release).
     */
    cl_kernel kernel(String name, Storage storage) {
        if (storage.equals(Storage.F32)) {
            return kernels.get(name);
        }
        Map<String, cl_kernel> built = storageKernels.get(storage);
        if (built == null) {
            built = build(storage);
            storageKernels.put(storage, built);
        }
        return built.get(name);
    }

    private Map<String, cl_kernel> build(Storage storage) {
        boolean sameType = storage.x() == storage.y();
        cl_program p = Cl.buildProgram(context, device.id(), KernelSources.storageProgram(sameType),
                buildOptions() + storage.defines(), device.info().name());
        storagePrograms.add(p);
        Map<String, cl_kernel> built = new HashMap<>();
        try {
            for (String k : FORWARD_KERNELS) {
                built.put(k, Cl.createKernel(p, k));
            }
            for (String k : sameType ? SAME_TYPE_KERNELS : new String[0]) {
                built.put(k, Cl.createKernel(p, k));
            }
            for (String k : GROUP_KERNELS) {
                cl_kernel kernel = built.get(k);
                if (kernel != null && Cl.kernelWorkGroupLong(kernel, device.id(), CL.CL_KERNEL_WORK_GROUP_SIZE)
                        < groupSize) {
                    throw new io.softmaxcl.BackendUnavailableException("OpenCL: " + k + " for " + storage
                            + " cannot run " + groupSize + " wide on " + device.info().name());
                }
            }
        } catch (RuntimeException e) {
            built.values().forEach(Cl::release);
            throw e;
        }
        return built;
    }

    HeldPrograms held() {
        return held;
    }

    FixedColsPrograms fixedCols() {
        return fixedCols;
    }

    SamplerProgram sampler() {
        return sampler;
    }

    /** The work-group size the main program was built for ({@code WG}). */
    int groupSize() {
        return groupSize;
    }

    long cacheFloats() {
        return cacheFloats;
    }

    /** A new, empty buffer on this session's context; its owner releases it. */
    DeviceBuffer newBuffer() {
        return new DeviceBuffer(context, device.info().maxAllocBytes());
    }

    /** Releases everything the session holds; idempotent. */
    void release() {
        for (DeviceBuffer b : new DeviceBuffer[] {bufA, bufB, bufC, bufMask, bufPartial, bufScratch}) {
            if (b != null) {
                b.release();
            }
        }
        if (pipeline != null) {
            pipeline.release();
            pipeline = null;
        }
        Cl.release(transferQueue);
        transferQueue = null;
        if (held != null) {
            held.release();
        }
        if (fixedCols != null) {
            fixedCols.release();
        }
        if (sampler != null) {
            sampler.release();
        }
        kernels.values().forEach(Cl::release);
        kernels.clear();
        storageKernels.values().forEach(m -> m.values().forEach(Cl::release));
        storageKernels.clear();
        storagePrograms.forEach(Cl::release);
        storagePrograms.clear();
        Cl.release(program);
        Cl.release(queue);
        Cl.release(context);
        program = null;
        queue = null;
        context = null;
    }
}
