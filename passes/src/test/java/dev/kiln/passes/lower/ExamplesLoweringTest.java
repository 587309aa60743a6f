package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The example models, lowered, compute what the reference interpreter computes. */
class ExamplesLoweringTest {
  private static Graph example(String name) {
    return KilnText.read(Path.of("..", "examples", name, name + ".kiln")).graph();
  }

  @Test
  void mlp() {
    LoopProgram p = Differential.check("examples/mlp with N = 3", example("mlp"),
        Map.of("x", new long[] {3, 784}), new Random(1), false);
    assertEquals(6, p.kernels().size());
    assertEquals(6, p.constants().size());
  }

  @Test
  void cnn() {
    LoopProgram p = Differential.check("examples/cnn with N = 1", example("cnn"),
        Map.of("image", new long[] {1, 3, 32, 32}), new Random(2), false);
    assertEquals(1, p.outputs().size());
  }
}
