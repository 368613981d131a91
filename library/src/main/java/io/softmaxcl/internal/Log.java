package io.softmaxcl.internal;

/** The library's one logger ({@code io.softmaxcl}); messages are single lines. */
public final class Log {
    private static final System.Logger LOGGER = System.getLogger("io.softmaxcl");

    private Log() {
    }

    public static void info(String message) {
        LOGGER.log(System.Logger.Level.INFO, message);
    }

    public static void warn(String message) {
        LOGGER.log(System.Logger.Level.WARNING, message);
    }

    public static void debug(String message) {
        LOGGER.log(System.Logger.Level.DEBUG, message);
    }
}
