package io.softmaxcl.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** The {@code softmax-cl} command line: {@code run}, {@code devices}, {@code bench}. */
@Command(name = "softmax-cl",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Softmax and its relatives over batches of rows, on OpenCL devices or the CPU.",
        subcommands = {RunCommand.class, DevicesCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Exit code for bad input or an unusable backend: one readable line on stderr, no stack trace. */
    public static final int EXIT_USAGE = 2;

    /** Held strongly: JUL keeps loggers only weakly, and a collected one would drop the one-line handler. */
    private static final Logger LIBRARY_LOGGER = Logger.getLogger("io.softmaxcl");

    public static void main(String[] args) {
        if (SignalChainingRelaunch.needed(args)) {
            Optional<Integer> code = SignalChainingRelaunch.run(args);
            if (code.isPresent()) {
                System.exit(code.get());
            }
        }
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (used by tests, which must not call {@code System.exit}). */
    public static int execute(String... args) {
        configureLogging();
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("softmax-cl: " + CliErrors.describe(ex));
            return CliErrors.exitCode(ex);
        });
        cli.setParameterExceptionHandler((ex, args1) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("softmax-cl: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }

    /** The library logs through java.util.logging here; print each record as one line on stderr. */
    private static void configureLogging() {
        Logger logger = LIBRARY_LOGGER;
        if (logger.getHandlers().length > 0) {
            return;
        }
        // Looks System.err up at each record (ConsoleHandler would keep the stream it saw first).
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    System.err.println("softmax-cl: " + new SimpleFormatter().formatMessage(r));
                }
            }

            @Override
            public void flush() {
                System.err.flush();
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
        if (System.getProperty("softmaxcl.verbose") == null) {
            logger.setLevel(Level.INFO);
        } else {
            logger.setLevel(Level.ALL);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"softmax-cl " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
