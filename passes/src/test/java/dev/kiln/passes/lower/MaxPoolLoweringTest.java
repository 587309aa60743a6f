package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 2-D f32 max pooling with spelled taps (one max expression per output over a -inf bordered
 * copy) against the reference, on ResNet's 3x3/2 pad-1 pool and the geometries that move the
 * border: ceil mode, dilation, asymmetric pads, no padding.
 */
class MaxPoolLoweringTest {
  private static Graph pool(long c, long h, long w, Attributes a) {
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, 2, c, h, w));
    TensorType t = NodeInference.infer(Differential.OPS.lookup("MaxPool").orElseThrow(), a,
        List.of(Optional.of(x.type())), List.of(Optional.empty()), 1).types().get(0);
    b.output(b.node("MaxPool", List.of(x), t, a));
    return b.build();
  }

  private static String poolKernel(LoopProgram p) {
    return p.kernels().stream().map(Kernel::toString).filter(k -> k.contains("MaxPool"))
        .findFirst().orElseThrow();
  }

  @Test
  void resnetsPoolReadsABorderedCopyWithoutConditionals() {
    Random r = new Random(1);
    Graph g = pool(5, 12, 12, Attributes.builder().putInts("kernel_shape", 3, 3)
        .putInts("strides", 2, 2).putInts("pads", 1, 1, 1, 1).build());
    String kernel = poolKernel(Differential.check("3x3/2 pad 1", g, r, false));
    assertTrue(kernel.contains("bordered"), kernel);
    assertFalse(kernel.contains("if "), kernel);
  }

  @Test
  void geometriesThatMoveTheBorder() {
    Random r = new Random(2);
    List<Attributes> cases = List.of(
        Attributes.builder().putInts("kernel_shape", 3, 3).putInts("strides", 2, 2)
            .putInts("pads", 0, 1, 1, 0).put("ceil_mode", 1L).build(),
        Attributes.builder().putInts("kernel_shape", 2, 3).putInts("dilations", 2, 2)
            .putInts("pads", 1, 2, 1, 2).build(),
        Attributes.builder().putInts("kernel_shape", 5, 5).putInts("strides", 3, 1)
            .put("ceil_mode", 1L).build(),
        Attributes.builder().putInts("kernel_shape", 2, 2).putInts("strides", 2, 2).build(),
        Attributes.builder().putInts("kernel_shape", 3, 3).put("auto_pad", "SAME_UPPER").build());
    for (Attributes a : cases) {
      Graph g = pool(3, 10, 9, a);
      String kernel = poolKernel(Differential.check(a.toString(), g, r, false));
      assertFalse(kernel.contains("if "), a + "\n" + kernel);
    }
  }

  @Test
  void moreTapsThanSpelledKeepTheGeneralNest() {
    Random r = new Random(3);
    Graph g = pool(2, 9, 9, Attributes.builder().putInts("kernel_shape", 6, 6)
        .putInts("pads", 1, 1, 1, 1).build());
    assertTrue(poolKernel(Differential.check("6x6", g, r, false)).contains("if "));
  }
}
