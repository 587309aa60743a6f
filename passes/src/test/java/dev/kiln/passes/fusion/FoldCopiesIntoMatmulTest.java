package dev.kiln.passes.fusion;

import static dev.kiln.passes.fusion.FusionTesting.lowered;
import static dev.kiln.passes.fusion.FusionTesting.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FoldCopiesIntoMatmulTest {
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

  /** A multi-head attention block as PyTorch exports it: fused QKV, heads split and merged back. */
  private static final String ATTENTION = """
      kiln 1
      model attention(%x: f32[6, 1, 8]) -> (%y: f32[6, 8]) {
        const %w: f32[8, 24] = %w
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
      """;

  @Test
  void attentionReadsAndWritesTheProjectionInPlaceWithTheSameResults() {
    LoopProgram before = lowered(ATTENTION.replace("const %w: f32[8, 24] = %w", weights()));
    LoopProgram after = new FoldCopiesIntoMatmul().run(Ir.of(before), PassContext.silent()).program();
    LoopVerifier.verifyOrThrow(after);
    List<String> kernels = after.kernels().stream().map(Kernel::name).toList();
    assertTrue(kernels.stream().noneMatch(k -> k.startsWith("transpose") || k.startsWith("div")
        || k.startsWith("reshape")), kernels.toString());
    assertEquals(4, kernels.size(), after.toString()); // projection, scores, softmax, mix
    for (long seed = 1; seed <= 3; seed++) {
      assertClose(run(before, seed), run(after, seed));
    }
  }

  @Test
  void aCopyWithAnotherReaderStaysAndSaysWhy() {
    LoopProgram before = lowered("""
        kiln 1
        model m(%x: f32[4, 8], %w: f32[4, 2]) -> (%y: f32[8, 2], %t: f32[8, 4]) {
          %t = Transpose(%x) {perm = [1, 0]}
          %y = MatMul(%t, %w)
        }
        """);
    List<String> remarks = new ArrayList<>();
    Ir out = new FoldCopiesIntoMatmul().run(Ir.of(before), PassContext.explaining(remarks::add));
    assertEquals(before, out.program());
    assertEquals(List.of("fold-copies-into-matmul: Transpose node defining %t: not folded: neither"
        + " is its result read only as matmul operands nor its source only a matmul's output, with an"
        + " element map that strides can express"), remarks);
  }

  @Test
  void aGatherThatIsNotAffineStays() {
    // Reversing a dim is a copy whose element map has a negative stride: no operand can say it.
    LoopProgram before = lowered("""
        kiln 1
        model m(%x: f32[4, 8], %w: f32[8, 3]) -> (%y: f32[4, 3]) {
          const %starts: i64[1] = [-1]
          const %ends: i64[1] = [-1000]
          const %axes: i64[1] = [1]
          const %steps: i64[1] = [-1]
          %r = Slice(%x, %starts, %ends, %axes, %steps)
          %y = MatMul(%r, %w)
        }
        """);
    LoopProgram after = new FoldCopiesIntoMatmul().run(Ir.of(before), PassContext.silent()).program();
    assertEquals(before, after);
  }

  private static String weights() {
    Random r = new Random(7);
    StringBuilder b = new StringBuilder("const %w: f32[8, 24] = [");
    for (int i = 0; i < 8 * 24; i++) {
      b.append(i == 0 ? "" : ", ").append((float) r.nextGaussian());
    }
    return b.append("]").toString();
  }
}
