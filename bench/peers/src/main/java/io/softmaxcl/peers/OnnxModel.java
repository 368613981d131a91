package io.softmaxcl.peers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one-node ONNX models ONNX Runtime runs (opset 13, rows × cols with symbolic dimensions), encoded as
 * ModelProto protobuf bytes by hand: a dozen fields of onnx.proto are all these models need, so no protoc.
 */
final class OnnxModel {

    static final int OPSET = 13;
    private static final long IR_VERSION = 8; // ONNX 1.10+: opset 13 is well inside its range
    private static final int FLOAT = 1;        // TensorProto.DataType
    private static final int INT64 = 7;
    private static final int ATTR_INT = 2;     // AttributeProto.AttributeType
    private static final int ATTR_STRING = 3;

    private OnnxModel() {
    }

    /** {@code y = Softmax(x, axis=-1)}: input "x" float [N, C], output "y" float [N, C]. */
    static byte[] softmax() {
        return rowwise("Softmax");
    }

    /** {@code y = LogSoftmax(x, axis=-1)}. */
    static byte[] logSoftmax() {
        return rowwise("LogSoftmax");
    }

    /** {@code loss = SoftmaxCrossEntropyLoss(x, labels, reduction="mean")}: labels int64 [N], loss a float scalar. */
    static byte[] softmaxCrossEntropyLoss() {
        byte[] node = new Proto()
                .string(1, "x").string(1, "labels").string(2, "loss").string(3, "n0")
                .string(4, "SoftmaxCrossEntropyLoss")
                .message(5, new Proto().string(1, "reduction").bytes(4, "mean".getBytes(StandardCharsets.UTF_8))
                        .varint(20, ATTR_STRING).toBytes())
                .toBytes();
        return model(node, new byte[][] {tensor("x", FLOAT, "N", "C"), tensor("labels", INT64, "N")},
                tensor("loss", FLOAT));
    }

    private static byte[] rowwise(String op) {
        byte[] node = new Proto().string(1, "x").string(2, "y").string(3, "n0").string(4, op)
                .message(5, new Proto().string(1, "axis").varint(3, -1).varint(20, ATTR_INT).toBytes())
                .toBytes();
        return model(node, new byte[][] {tensor("x", FLOAT, "N", "C")}, tensor("y", FLOAT, "N", "C"));
    }

    private static byte[] model(byte[] node, byte[][] inputs, byte[] output) {
        Proto graph = new Proto().message(1, node).string(2, "softmax-cl-peers");
        for (byte[] in : inputs) {
            graph.message(11, in);
        }
        graph.message(12, output);
        return new Proto()
                .varint(1, IR_VERSION)
                .string(2, "softmax-cl-peers")
                .message(7, graph.toBytes())
                .message(8, new Proto().string(1, "").varint(2, OPSET).toBytes())
                .toBytes();
    }

    /** ValueInfoProto: name, TypeProto{tensor_type{elem_type, shape{dim{dim_param}...}}}. */
    private static byte[] tensor(String name, int elemType, String... dims) {
        Proto shape = new Proto();
        for (String d : dims) {
            shape.message(1, new Proto().string(2, d).toBytes());
        }
        byte[] tensorType = new Proto().varint(1, elemType).message(2, shape.toBytes()).toBytes();
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType).toBytes()).toBytes();
    }

    /** The protobuf wire format, the two kinds these messages use: varint (0) and length-delimited (2). */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            raw(((long) field << 3));
            raw(value);
            return this;
        }

        Proto bytes(int field, byte[] value) {
            raw(((long) field << 3) | 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, byte[] encoded) {
            return bytes(field, encoded);
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        /** Base-128 varint; a negative int64 takes ten bytes (two's complement), as protobuf says. */
        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
