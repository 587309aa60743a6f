package dev.kiln.passes.fusion;

import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Shared by the fusion pass tests: Kiln text lowered to loops at its declared shapes, and a loop
 * program run by the loop interpreter on random inputs (to compare it before and after a pass).
 */
final class FusionTesting {
  private FusionTesting() {}

  /** The loop program of a Kiln model whose inputs have static shapes. */
  static LoopProgram lowered(String text) {
    Graph g = KilnText.parse(text, "t.kiln", Path.of(".")).graph();
    Map<String, long[]> shapes = new HashMap<>();
    g.inputs().forEach(v -> shapes.put(v.name(), v.type().shape().toLongArray()));
    return GraphToLoops.lower(BindShapes.bind(g, shapes));
  }

  /** {@code p}'s outputs on f32 inputs drawn from a Gaussian with {@code seed}. */
  static Map<String, Tensor> run(LoopProgram p, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (var b : p.inputs()) {
      TensorWriter w = TensorWriter.of(DType.F32, b.shapeArray());
      for (long i = 0; i < w.size(); i++) {
        w.setDouble(i, r.nextGaussian());
      }
      in.put(b.name(), w.build());
    }
    return LoopInterpreter.run(p, in);
  }
}
