package io.softmaxcl.cli;

import java.io.IOException;

/** A problem with what the user gave the CLI (a file that is not a usable .npy, a bad option combination). */
final class UserInputException extends IOException {
    private static final long serialVersionUID = 1L;

    UserInputException(String message) {
        super(message);
    }
}
