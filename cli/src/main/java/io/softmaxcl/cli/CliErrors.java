package io.softmaxcl.cli;

import io.softmaxcl.BackendUnavailableException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Turns an exception from a command into one readable line and an exit code. */
final class CliErrors {

    private CliErrors() {
    }

    static String describe(Throwable ex) {
        if (ex instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile();
        }
        if (ex instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        if (ex instanceof FileAlreadyExistsException e) {
            return "output exists: " + e.getFile() + " (use --force to overwrite)";
        }
        if (ex instanceof FileNotFoundException e) {
            return e.getMessage();
        }
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        if (ex instanceof IOException && !(ex instanceof UserInputException)) {
            return "I/O error: " + message;
        }
        return message;
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof UserInputException || ex instanceof IOException
                || ex instanceof IllegalArgumentException || ex instanceof BackendUnavailableException
                || ex instanceof IndexOutOfBoundsException) {
            return Main.EXIT_USAGE;
        }
        return 1;
    }
}
