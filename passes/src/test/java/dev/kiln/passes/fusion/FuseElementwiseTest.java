package dev.kiln.passes.fusion;

import static dev.kiln.passes.fusion.FusionTesting.lowered;
import static dev.kiln.passes.fusion.FusionTesting.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseElementwiseTest {
  @Test
  void anElementwiseChainBecomesOneKernelWithTheSameResults() {
    LoopProgram before = lowered("""
        kiln 1
        model m(%x: f32[4, 8], %b: f32[8]) -> (%y: f32[4, 8]) {
          %r = Relu(%x)
          %a = Add(%r, %b)
          %s = Sigmoid(%a)
          %y = Neg(%s)
        }
        """);
    assertEquals(4, before.kernels().size());
    LoopProgram after = new FuseElementwise().run(Ir.of(before), PassContext.silent()).program();
    LoopVerifier.verifyOrThrow(after);
    assertEquals(1, after.kernels().size(), after.toString());
    assertEquals(0, after.scratch().size());
    assertEquals(run(before, 1), run(after, 1));
  }

  @Test
  void cheapProducersJoinRowWiseKernelsWithTheSameResults() {
    // A residual Add (through a Reshape view) before LayerNorm and a scale before Softmax: each
    // row-wise kernel recomputes its producer in every pass; one kernel each, plain indices.
    LoopProgram before = lowered("""
        kiln 1
        model m(%x: f32[1, 6, 8], %g: f32[6, 8], %gamma: f32[8], %s: f32[6, 8]) -> (%y: f32[1, 6, 8], %z: f32[6, 8]) {
          const %shape: i64[3] = [1, 6, 8]
          const %c: f32[] = 0.125
          %v = Reshape(%g, %shape)
          %a = Add(%x, %v)
          %y = LayerNormalization(%a, %gamma)
          %m = Mul(%s, %c)
          %z = Softmax(%m)
        }
        """);
    LoopProgram after = new FuseElementwise().run(Ir.of(before), PassContext.silent()).program();
    LoopVerifier.verifyOrThrow(after);
    assertEquals(List.of("layer_normalization_2", "softmax_4"),
        after.kernels().stream().map(k -> k.name()).toList(), after.toString());
    assertEquals(0, after.scratch().size());
    String text = after.toString();
    assertTrue(!text.contains("floordiv") && !text.contains("floormod"), text);
    for (long seed = 1; seed <= 3; seed++) {
      assertEquals(run(before, seed), run(after, seed));
    }
  }

  @Test
  void reductionsAndSharedValuesStayAndSayWhy() {
    LoopProgram before = lowered("""
        kiln 1
        model m(%x: f32[4, 8]) -> (%y: f32[4, 8], %z: f32[4, 8]) {
          %r = Exp(%x)
          %y = Softmax(%r)
          %e = Exp(%x)
          %n = Neg(%e)
          %z = Add(%e, %n)
        }
        """);
    List<String> remarks = new ArrayList<>();
    Ir out = new FuseElementwise().run(Ir.of(before), PassContext.explaining(remarks::add));
    // Only Neg, read once by the elementwise Add, is fused (Exp is too dear to recompute per pass).
    assertEquals(List.of("exp_0", "softmax_1", "exp_2", "add_4"),
        out.program().kernels().stream().map(k -> k.name()).toList());
    assertEquals(run(before, 2), run(out.program(), 2));
    assertEquals(List.of(
        "fuse-elementwise: Exp node defining %r: not fused: its reader (Softmax node defining %y)"
            + " is not an elementwise kernel over as many elements that reads it once, nor a row-wise"
            + " kernel reading a cheap producer at most 4 times",
        "fuse-elementwise: Exp node defining %e: not fused: %e is read by 2 kernels"), remarks);
  }
}
