package io.softmaxcl;

/**
 * Thrown when a backend that was asked for explicitly cannot run here; the message names the reason
 * (no OpenCL library, no platform, no device, a kernel that failed to build, ...).
 */
public final class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
