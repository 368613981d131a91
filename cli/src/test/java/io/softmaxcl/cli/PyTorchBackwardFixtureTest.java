package io.softmaxcl.cli;

import io.softmaxcl.Backend;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;

import static io.softmaxcl.cli.Cli.assertUlps;
import static io.softmaxcl.cli.Cli.fixture;
import static io.softmaxcl.cli.Cli.floats;

/**
 * The backward fixtures (PyTorch autograd through softmax and log_softmax) against the API: the CLI has no backward
 * operation, but these fixtures were generated with the others and belong with them.
 */
class PyTorchBackwardFixtureTest {

    static List<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxBackwardMatchesAutograd(Backend b) throws IOException {
        float[] y = floats(fixture("softmax_bwd_y"));
        float[] dy = floats(fixture("softmax_bwd_dy"));
        float[] dx = new float[y.length];
        try (SoftmaxEngine engine = TestBackends.open(b)) {
            engine.softmaxBackward(y, 0, dy, 0, dx, 0, 5, 9);
        }
        // dx sums products of the row: a cancellation-prone difference, so an absolute floor of a few ulps of 1.
        assertUlps(floats(fixture("softmax_bwd_dx")), dx, 9, 16, 5e-7, "softmax backward on " + b);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void logSoftmaxBackwardMatchesAutograd(Backend b) throws IOException {
        float[] y = floats(fixture("log_softmax_bwd_y"));
        float[] dy = floats(fixture("log_softmax_bwd_dy"));
        float[] dx = new float[y.length];
        try (SoftmaxEngine engine = TestBackends.open(b)) {
            engine.logSoftmaxBackward(y, 0, dy, 0, dx, 0, 5, 9);
        }
        assertUlps(floats(fixture("log_softmax_bwd_dx")), dx, 9, 16, 5e-7, "log-softmax backward on " + b);
    }
}
