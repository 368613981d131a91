package io.softmaxcl.internal.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The host's op codes are the kernels' {@code OP_*} defines: one name per op on both sides of the launch. */
class KernelOpCodesTest {

    @Test
    void everyRowOpHasTheCodeCommonClDefinesForIt() {
        Map<String, Integer> defines = new HashMap<>();
        Matcher m = Pattern.compile("#define OP_([A-Z_]+) (\\d+)").matcher(KernelSources.load("common.cl"));
        while (m.find()) {
            defines.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertEquals(RowOp.values().length, defines.size(), "OP_* defines in common.cl: " + defines);
        for (RowOp op : RowOp.values()) {
            assertEquals(defines.get(op.name()), KernelArgs.opCode(op), op.name());
        }
    }
}
