package io.softmaxcl.peers;

/** The operations compared; bytes per element are the least each must move (read x, write y; the loss only reads). */
enum Op {
    SOFTMAX("softmax", 8),
    LOG_SOFTMAX("log-softmax", 8),
    CROSS_ENTROPY("cross-entropy-loss", 4);

    final String label;
    final int bytesPerElement;

    Op(String label, int bytesPerElement) {
        this.label = label;
        this.bytesPerElement = bytesPerElement;
    }
}
