package io.softmaxcl.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Placeholder: the 'bench' command is being written. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Not available yet.")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        throw new UserInputException("'bench' is not available in this build yet");
    }
}
