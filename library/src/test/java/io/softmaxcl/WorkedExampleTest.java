package io.softmaxcl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class WorkedExampleTest {

    @Test
    void softmaxOfOneTwoThreeMatchesPyTorch() {
        // torch.softmax(torch.tensor([1., 2., 3.]), 0) -> tensor([0.0900, 0.2447, 0.6652])
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.SCALAR)) {
            assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f},
                    engine.softmax(new float[] {1, 2, 3}), 1e-7f);
        }
    }
}
