package io.softmaxcl.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Placeholder: the 'devices' command is being written. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = "Not available yet.")
final class DevicesCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        throw new UserInputException("'devices' is not available in this build yet");
    }
}
