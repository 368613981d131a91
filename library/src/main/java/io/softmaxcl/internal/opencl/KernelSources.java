package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Loads the {@code kernels/*.cl} files, packaged on the class path under {@code io/softmaxcl/kernels/}. */
final class KernelSources {

    /** Every family, prepended by {@code common.cl}; one program per engine holds them all. */
    static final String[] FAMILIES = {"softmax_item.cl", "softmax_group.cl", "softmax_team.cl", "backward.cl",
            "cross_entropy.cl", "sampling.cl"};

    /** The forward families, built once more per half-precision {@link Storage}. */
    static final String[] FORWARD_FAMILIES = {"softmax_item.cl", "softmax_group.cl", "softmax_team.cl"};
    /** The forward families and those with one storage type for all rows (a storage whose input and output agree). */
    static final String[] SAME_TYPE_FAMILIES = {"softmax_item.cl", "softmax_group.cl", "softmax_team.cl",
            "backward.cl", "cross_entropy.cl", "storage.cl"};

    private KernelSources() {
    }

    static String program() {
        return program(FAMILIES);
    }

    /** The program built for a half-precision storage ({@code sameType}: input and output types agree). */
    static String storageProgram(boolean sameType) {
        return program(sameType ? SAME_TYPE_FAMILIES : FORWARD_FAMILIES);
    }

    private static String program(String[] families) {
        StringBuilder sb = new StringBuilder(load("common.cl"));
        for (String f : families) {
            sb.append("\n// ---- ").append(f).append(" ----\n").append(load(f));
        }
        if (OpenClFaults.brokenSource) {
            sb.append("\nthis is not OpenCL C (injected fault);\n");
        }
        return sb.toString();
    }

    static String load(String name) {
        String path = "/io/softmaxcl/kernels/" + name;
        try (InputStream in = KernelSources.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new BackendUnavailableException("kernel source " + path + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BackendUnavailableException("cannot read kernel source " + path + ": " + e.getMessage(), e);
        }
    }
}
