package io.softmaxcl.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Placeholder: the 'run' command is being written. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Not available yet.")
final class RunCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        throw new UserInputException("'run' is not available in this build yet");
    }
}
