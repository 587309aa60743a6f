package dev.kiln.passes.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.npy.Npy;
import dev.kiln.frontend.onnx.OnnxModels;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The graph passes on the real networks of the shared directory ({@code $KILN_SHARED}, or a
 * {@code shared} directory beside the repository or one of its parents; skipped when absent):
 * the optimized graph, run by the reference interpreter on the stored input, must still match
 * ONNX Runtime's stored output as closely as the unoptimized graph is required to
 * ({@code RealModelsTest}), and the patterns that should fire on each model do.
 */
class RealModelsPipelineTest {
  static Optional<Path> shared(String relative) {
    String env = System.getenv("KILN_SHARED");
    if (env != null && !env.isEmpty()) {
      Path p = Path.of(env).resolve(relative);
      return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve("shared").resolve(relative);
      if (Files.exists(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp_b64", "transformer_enc", "mobilenet_v2", "resnet18"})
  void optimizedGraphStillMatchesOnnxRuntime(String name) {
    Optional<Path> onnx = shared("models/" + name + ".onnx");
    Assumptions.assumeTrue(onnx.isPresent(), "skipped: shared/models/" + name + ".onnx not found"
        + " (set KILN_SHARED or put the shared directory beside the repository)");
    Graph before = OnnxModels.read(onnx.get()).graph();
    Graph after = PipelineTest.optimize(before);
    Tensor input = Npy.read(onnx.get().resolveSibling(name + ".input.npy"));
    Tensor expected = Npy.read(onnx.get().resolveSibling(name + ".output.npy"));
    Map<String, Tensor> out = new ReferenceInterpreter(after, OpRegistry.standard())
        .run(Map.of(after.inputs().getFirst().name(), input));
    Tensor actual = out.values().iterator().next();
    assertArrayEquals(expected.shape(), actual.shape());
    double maxErr = 0;
    double maxRef = 0;
    for (long i = 0; i < expected.size(); i++) {
      maxErr = Math.max(maxErr, Math.abs(actual.getDouble(i) - expected.getDouble(i)));
      maxRef = Math.max(maxRef, Math.abs(expected.getDouble(i)));
    }
    System.out.printf("%s: %d nodes %s -> %d nodes %s; max error / max |output| = %.3g%n", name,
        before.nodes().size(), PipelineTest.opCounts(before), after.nodes().size(),
        PipelineTest.opCounts(after), maxErr / maxRef);
    assertTrue(maxErr / maxRef < 1e-4, name + ": relative error " + maxErr / maxRef);
    Map<String, Integer> ops = PipelineTest.opCounts(after);
    switch (name) {
      case "transformer_enc" -> {
        // Both layer norms; the two feed-forward MatMuls with bias (and ReLU, and residual).
        assertEquals(2, ops.getOrDefault("LayerNormalization", 0), ops.toString());
        assertEquals(0, ops.getOrDefault("ReduceMean", 0), ops.toString());
        assertEquals(2, ops.getOrDefault("FusedMatMul", 0), ops.toString());
      }
      case "resnet18" -> {
        // Every Conv but the three 1x1 downsampling ones, whose output is a residual Z.
        assertEquals(17, ops.getOrDefault("FusedConv", 0), ops.toString());
        assertEquals(3, ops.getOrDefault("Conv", 0), ops.toString());
      }
      case "mobilenet_v2" -> {
        // Every Conv but the projections of the blocks without a residual (no activation).
        assertEquals(45, ops.getOrDefault("FusedConv", 0), ops.toString());
        assertEquals(7, ops.getOrDefault("Conv", 0), ops.toString());
      }
      default -> assertEquals(2, ops.getOrDefault("FusedGemm", 0), ops.toString());
    }
  }
}
