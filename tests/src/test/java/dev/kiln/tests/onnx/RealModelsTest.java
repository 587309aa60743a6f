package dev.kiln.tests.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real networks exported from PyTorch ({@code shared/models}): each is loaded through the public
 * API, run on each engine (the reference interpreter and the compiled engine, at its default level
 * -O3 and at -O1) on its stored
 * input, and compared with ONNX Runtime's stored output by the largest error relative to the
 * output's largest magnitude, and by cosine similarity. The compiled engine's time includes
 * compiling (its first run).
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

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void matchesOnnxRuntime(String name, ModelOptions.Engine engine) {
    Path onnx = SharedDir.require("models/" + name + ".onnx");
    Model model = Kiln.load(onnx, new ModelOptions(engine));
    Tensor input = Npy.read(onnx.resolveSibling(name + ".input.npy"));
    Tensor expected = Npy.read(onnx.resolveSibling(name + ".output.npy"));
    long t0 = System.nanoTime();
    Map<String, Tensor> out = model.run(Map.of(model.inputs().getFirst().name(), input));
    long millis = (System.nanoTime() - t0) / 1_000_000;
    Tensor actual = out.values().iterator().next();
    assertArrayEquals(expected.shape(), actual.shape(), name + ": output shape");
    Agreement a = Agreement.of(actual, expected);
    String where = name + " on " + engine.name().toLowerCase(java.util.Locale.ROOT);
    System.out.printf("%s: max abs error / max |output| = %.3g, cosine = %.9f (%d ms)%n",
        where, a.relativeError(), a.cosine(), millis);
    assertTrue(a.relativeError() < MAX_RELATIVE_ERROR, where + ": relative error " + a);
    assertTrue(a.cosine() > MIN_COSINE, where + ": cosine " + a);
  }

  /**
   * Every network compiled at -O1 too (the default, above, is -O3: graph fusion, the NCHWc layout,
   * the loop fusions), so the NCHW kernels and the unfused graph stay checked against ONNX Runtime.
   */
  @ParameterizedTest(name = "{0} at -O1")
  @MethodSource("networks")
  void matchesOnnxRuntimeAtO1(String name) {
    Path onnx = SharedDir.require("models/" + name + ".onnx");
    Model model = Kiln.load(onnx, new ModelOptions(ModelOptions.Engine.COMPILED).withOptimizationLevel(1));
    Tensor input = Npy.read(onnx.resolveSibling(name + ".input.npy"));
    Tensor expected = Npy.read(onnx.resolveSibling(name + ".output.npy"));
    Tensor actual = model.run(Map.of(model.inputs().getFirst().name(), input)).values().iterator().next();
    assertArrayEquals(expected.shape(), actual.shape(), name + ": output shape");
    Agreement a = Agreement.of(actual, expected);
    System.out.printf("%s at -O1: max abs error / max |output| = %.3g, cosine = %.9f%n",
        name, a.relativeError(), a.cosine());
    assertTrue(a.relativeError() < MAX_RELATIVE_ERROR, name + " at -O1: relative error " + a);
    assertTrue(a.cosine() > MIN_COSINE, name + " at -O1: cosine " + a);
  }

  static Stream<String> networks() {
    return Stream.of("mlp_b1", "mlp_b64", "transformer_enc", "mobilenet_v2", "resnet18");
  }

  static Stream<Arguments> cases() {
    return networks()
        .flatMap(name -> Stream.of(ModelOptions.Engine.values())
            .map(engine -> Arguments.of(name, engine)));
  }
}
