package io.softmaxcl.spark;

import java.io.Serializable;

/**
 * What one {@link SoftmaxTransformer#transform} call sends to its tasks: the parameters resolved on the driver and
 * the column positions in the input row ({@code -1}: no such column), whether the logits are packed (a binary
 * column of little-endian float32, 4 bytes a value) and the byte width of the mask's elements and of the target.
 */
record RunConfig(Op op, String inputCol, int inputIndex, boolean packed, boolean inputMayHoldNulls, int maskIndex,
                 int maskBytes, int targetIndex, int targetBytes, float temperature, int batchSize, int k, float topP, float minP, long seed,
                 long step, int ignoreIndex, float labelSmoothing, String backend, int threads)
        implements Serializable {
}
