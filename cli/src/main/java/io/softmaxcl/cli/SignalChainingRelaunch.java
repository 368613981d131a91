package io.softmaxcl.cli;

import io.softmaxcl.internal.opencl.SignalChaining;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Restarts the CLI in a JVM with libjsig preloaded when the command is about to load an OpenCL driver that runs
 * LLVM in-process (PoCL): without signal chaining such a driver can kill the JVM (see {@link SignalChaining}).
 * Costs one extra JVM start, only for the commands that load OpenCL; the library itself cannot do this.
 */
final class SignalChainingRelaunch {

    /** Set in the relaunched JVM so that it never relaunches again. */
    static final String MARKER = "SOFTMAXCL_RELAUNCHED";

    private SignalChainingRelaunch() {
    }

    /** True when {@code args} will load OpenCL here and this JVM should restart with libjsig first. */
    static boolean needed(String[] args) {
        if (System.getenv(MARKER) != null || SignalChaining.active() || SignalChaining.library().isEmpty()) {
            return false;
        }
        return reason(SignalChaining.registeredDrivers()).isPresent()
                && loadsOpenCl(args, SignalChaining.onlyInProcessCompilerDrivers());
    }

    /** Why a JVM that loads these drivers needs libjsig: the LLVM-based ones among them; empty when none is. */
    static Optional<String> reason(List<String> drivers) {
        List<String> llvm = SignalChaining.llvmBasedDrivers(drivers);
        return llvm.isEmpty() ? Optional.empty() : Optional.of("the OpenCL driver " + String.join(", ", llvm)
                + " runs LLVM in-process, which needs JVM signal chaining (libjsig)");
    }

    /** In a relaunched JVM: why it was relaunched (for {@code -v}); empty in a JVM that was not. */
    static Optional<String> relaunchedBecause() {
        String why = System.getenv(MARKER);
        return why == null ? Optional.empty() : Optional.of("relaunched with LD_PRELOAD=libjsig.so: " + why);
    }

    /**
     * Whether the command line loads OpenCL: {@code devices}, {@code bench} and {@code run} unless their backend
     * is cpu or scalar ({@code run}'s auto backend leaves a PoCL-only machine's driver unloaded); help never does.
     */
    static boolean loadsOpenCl(String[] args, boolean onlyInProcessCompilerDrivers) {
        String command = null;
        String backend = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version")) {
                return false;
            }
            if (a.equals("--backend") && i + 1 < args.length) {
                backend = args[++i].toLowerCase(Locale.ROOT);
            } else if (a.startsWith("--backend=")) {
                backend = a.substring("--backend=".length()).toLowerCase(Locale.ROOT);
            } else if (command == null && !a.startsWith("-")) {
                command = a;
            }
        }
        if (command == null) {
            return false;
        }
        boolean cpuOnly = backend != null && (backend.equals("cpu") || backend.equals("scalar"));
        return switch (command) {
            case "devices" -> true;
            case "bench" -> !cpuOnly;
            case "run" -> !cpuOnly && !(onlyInProcessCompilerDrivers && (backend == null || backend.equals("auto")));
            default -> false;
        };
    }

    /** Runs the same command line in a JVM with libjsig preloaded; empty when that JVM could not be started. */
    static Optional<Integer> run(String[] args) {
        Optional<Path> jsig = SignalChaining.library();
        if (jsig.isEmpty()) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("--enable-native-access=ALL-UNNAMED"); // what the jar's manifest grants; -cp does not read it
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO().redirectError(ProcessBuilder.Redirect.PIPE);
        String preload = pb.environment().get("LD_PRELOAD");
        pb.environment().put("LD_PRELOAD", preload == null || preload.isBlank()
                ? jsig.get().toString() : jsig.get() + ":" + preload);
        pb.environment().put(MARKER, reason(SignalChaining.registeredDrivers()).orElse("requested"));
        try {
            Process p = pb.start();
            Thread err = new Thread(() -> copyWithoutRepeatedWarning(p.getErrorStream()), "softmax-cl-stderr");
            err.start();
            int code = p.waitFor();
            err.join();
            return Optional.of(code);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(130);
        }
    }

    /** Copies the child's stderr, minus the incubator-module warning this JVM has printed already. */
    static void copyWithoutRepeatedWarning(java.io.InputStream childErr) {
        try (childErr) {
            java.io.ByteArrayOutputStream first = new java.io.ByteArrayOutputStream();
            int b;
            while ((b = childErr.read()) >= 0) {
                first.write(b);
                if (b == '\n') {
                    break;
                }
            }
            String line = first.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
            if (!line.startsWith(INCUBATOR_WARNING)) {
                System.err.write(first.toByteArray());
            }
            System.err.flush();
            childErr.transferTo(System.err);
            System.err.flush();
        } catch (IOException e) {
            // the child's stderr closed under us: nothing more to show
        }
    }

    static final String INCUBATOR_WARNING = "WARNING: Using incubator modules";
}
