package dev.kiln.tests.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real networks exported from PyTorch ({@code shared/models}): each is loaded through the public
 * API, run on the reference interpreter on its stored input, and compared with ONNX Runtime's
 * stored output by the largest error relative to the output's largest magnitude, and by cosine
 * similarity.
 */
@Tag("conformance")
class RealModelsTest {
  static final double MAX_RELATIVE_ERROR = 1e-4;
  static final double MIN_COSINE = 0.9999;

  /** The two figures a run is judged by. */
  record Agreement(double relativeError, double cosine) {
    static Agreement of(Tensor actual, Tensor expected) {
      double maxErr = 0;
      double maxRef = 0;
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (long i = 0; i < expected.size(); i++) {
        double a = actual.getDouble(i);
        double b = expected.getDouble(i);
        maxErr = Math.max(maxErr, Math.abs(a - b));
        maxRef = Math.max(maxRef, Math.abs(b));
        dot += a * b;
        na += a * a;
        nb += b * b;
      }
      return new Agreement(maxErr / maxRef, dot / Math.sqrt(na * nb));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp_b1", "mlp_b64", "transformer_enc", "mobilenet_v2", "resnet18"})
  void matchesOnnxRuntime(String name) {
    Path onnx = SharedDir.require("models/" + name + ".onnx");
    Model model = Kiln.load(onnx);
    Tensor input = Npy.read(onnx.resolveSibling(name + ".input.npy"));
    Tensor expected = Npy.read(onnx.resolveSibling(name + ".output.npy"));
    long t0 = System.nanoTime();
    Map<String, Tensor> out = model.run(Map.of(model.inputs().getFirst().name(), input));
    long millis = (System.nanoTime() - t0) / 1_000_000;
    Tensor actual = out.values().iterator().next();
    assertArrayEquals(expected.shape(), actual.shape(), name + ": output shape");
    Agreement a = Agreement.of(actual, expected);
    System.out.printf("%s: max abs error / max |output| = %.3g, cosine = %.9f (%d ms)%n",
        name, a.relativeError(), a.cosine(), millis);
    assertTrue(a.relativeError() < MAX_RELATIVE_ERROR, name + ": relative error " + a);
    assertTrue(a.cosine() > MIN_COSINE, name + ": cosine " + a);
  }
}
