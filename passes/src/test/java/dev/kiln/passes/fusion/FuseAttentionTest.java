package dev.kiln.passes.fusion;

import static dev.kiln.passes.fusion.FusionTesting.lowered;
import static dev.kiln.passes.fusion.FusionTesting.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FuseAttentionTest {
  private static void assertClose(Map<String, Tensor> expected, Map<String, Tensor> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      Tensor e = expected.get(name);
      Tensor a = actual.get(name);
      assertEquals(e.type(), a.type(), name);
      for (long i = 0; i < e.size(); i++) {
        assertEquals(e.getDouble(i), a.getDouble(i), 1e-5 * (1 + Math.abs(e.getDouble(i))), name + "[" + i + "]");
      }
    }
  }

  /** Multi-head attention as PyTorch exports it: fused QKV, heads split and merged back. */
  private static String attention() {
    Random r = new Random(7);
    StringBuilder w = new StringBuilder("[");
    for (int i = 0; i < 8 * 24; i++) {
      w.append(i == 0 ? "" : ", ").append((float) r.nextGaussian());
    }
    return """
        kiln 1
        model attention(%x: f32[6, 1, 8]) -> (%y: f32[6, 8]) {
          const %w: f32[8, 24] = WEIGHTS]
          const %d: f32[] = 2.0
          const %heads: i64[3] = [6, 6, 4]
          const %rows: i64[2] = [6, 8]
          const %q0: i64[1] = [0]
          const %k0: i64[1] = [2]
          const %v0: i64[1] = [4]
          const %end: i64[1] = [6]
          %p = MatMul(%x, %w)
          %r = Reshape(%p, %heads)
          %t = Transpose(%r) {perm = [1, 0, 2]}
          %q = Slice(%t, %q0, %k0, %q0)
          %k = Slice(%t, %k0, %v0, %q0)
          %v = Slice(%t, %v0, %end, %q0)
          %qs = Div(%q, %d)
          %kt = Transpose(%k) {perm = [0, 2, 1]}
          %s = MatMul(%qs, %kt)
          %a = Softmax(%s)
          %o = MatMul(%a, %v)
          %m = Transpose(%o) {perm = [1, 0, 2]}
          %y = Reshape(%m, %rows)
        }
        """.replace("WEIGHTS", w);
  }

  private static LoopProgram folded(String text) {
    LoopProgram lowered = lowered(text);
    LoopProgram fused = new FuseElementwise().run(Ir.of(lowered), PassContext.silent()).program();
    return new FoldCopiesIntoMatmul().run(Ir.of(fused), PassContext.silent()).program();
  }

  private static LoopProgram fused(LoopProgram before) {
    LoopProgram after = new FuseAttention().run(Ir.of(before), PassContext.silent()).program();
    LoopVerifier.verifyOrThrow(after);
    return after;
  }

  @Test
  void theHeadsScoresSoftmaxAndOutputBecomeOneParallelLoopOfAttentionWithTheSameResults() {
    LoopProgram before = folded(attention());
    assertEquals(4, before.kernels().size(), LoopPrinter.print(before)); // projection, scores, softmax, output
    List<String> remarks = new ArrayList<>();
    new FuseAttention().run(Ir.of(before), PassContext.explaining(remarks::add));
    LoopProgram after = fused(before);
    assertEquals(2, after.kernels().size(), remarks + LoopPrinter.print(after));
    Stmt body = after.kernels().get(1).body();
    Stmt.For heads = assertInstanceOf(Stmt.For.class, body);
    assertEquals(LoopKind.PARALLEL, heads.kind());
    assertEquals(2, heads.extent());
    Stmt.Attention at = assertInstanceOf(Stmt.Attention.class, heads.body());
    assertEquals(6, at.scores().m());
    assertEquals(6, at.scores().n());
    assertEquals(4, at.scores().k());
    assertEquals(4, at.output().n());
    assertTrue(LoopPrinter.print(after).contains("softmax rows"), LoopPrinter.print(after));
    for (long seed = 1; seed <= 3; seed++) {
      assertClose(run(before, seed), run(after, seed));
    }
  }

  @Test
  void aSingleHeadIsALoneStatement() {
    LoopProgram before = folded("""
        kiln 1
        model m(%q: f32[5, 3], %k: f32[7, 3], %v: f32[7, 4]) -> (%y: f32[5, 4]) {
          %kt = Transpose(%k) {perm = [1, 0]}
          %s = MatMul(%q, %kt)
          %a = Softmax(%s)
          %y = MatMul(%a, %v)
        }
        """);
    LoopProgram after = fused(before);
    assertEquals(1, after.kernels().size(), LoopPrinter.print(after));
    assertInstanceOf(Stmt.Attention.class, after.kernels().get(0).body());
    for (long seed = 1; seed <= 3; seed++) {
      assertClose(run(before, seed), run(after, seed));
    }
  }

  @Test
  void probabilitiesThatAreAGraphOutputStayAndSayWhy() {
    LoopProgram before = folded("""
        kiln 1
        model m(%q: f32[5, 3], %k: f32[3, 7], %v: f32[7, 4]) -> (%y: f32[5, 4], %a: f32[5, 7]) {
          %s = MatMul(%q, %k)
          %a = Softmax(%s)
          %y = MatMul(%a, %v)
        }
        """);
    List<String> remarks = new ArrayList<>();
    Ir out = new FuseAttention().run(Ir.of(before), PassContext.explaining(remarks::add));
    assertSame(before, out.program());
    assertEquals(List.of("fuse-attention: Softmax node defining %a: not fused: the scores or"
        + " probabilities are not intermediates (a graph output?)"), remarks);
  }

  @Test
  void probabilitiesReadTwiceStayAndSayWhy() {
    LoopProgram before = folded("""
        kiln 1
        model m(%q: f32[5, 3], %k: f32[3, 7], %v: f32[7, 4]) -> (%y: f32[5, 4], %z: f32[5, 7]) {
          %s = MatMul(%q, %k)
          %a = Softmax(%s)
          %y = MatMul(%a, %v)
          %z = Relu(%a)
        }
        """);
    List<String> remarks = new ArrayList<>();
    Ir out = new FuseAttention().run(Ir.of(before), PassContext.explaining(remarks::add));
    assertSame(before, out.program());
    assertEquals(1, remarks.size());
    assertTrue(remarks.get(0).contains("not read by exactly one later kernel"), remarks.toString());
  }

  @Test
  void aSoftmaxOverAnotherAxisOrAScaledSoftmaxIsNoAttention() {
    for (String softmax : List.of("%a = Softmax(%s) {axis = 0}", "%s2 = Exp(%s)\n  %a = Softmax(%s2)")) {
      LoopProgram before = folded("""
          kiln 1
          model m(%q: f32[5, 3], %k: f32[3, 5], %v: f32[5, 4]) -> (%y: f32[5, 4]) {
            %s = MatMul(%q, %k)
            SOFTMAX
            %y = MatMul(%a, %v)
          }
          """.replace("SOFTMAX", softmax));
      assertSame(before, new FuseAttention().run(Ir.of(before), PassContext.silent()).program(), softmax);
    }
  }
}
