package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.passes.shape.BindShapes;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The printed loop IR of a few lowerings, pinned: the text form is what later passes, caches and
 * people read, so a change to it should be deliberate.
 */
class LoweringGoldenTest {
  static LoopProgram lower(String kiln, Map<String, long[]> shapes) {
    Graph g = KilnText.parse(kiln, "test.kiln", Path.of(".")).graph();
    return GraphToLoops.lower(BindShapes.bind(g, shapes));
  }

  @Test
  void reluIsOneNestWithTheSymbolicBatchBound() {
    assertEquals("""
        program relu(in %x: f32[2, 4]) -> (out %y: f32[2, 4]) {
          kernel relu_0 @"Relu node defining %y"(in %x, out %y) {
            for i0 in 0..2 {
              for i1 in 0..4 {
                %y[i0, i1] = max(%x[i0, i1], 0.0:f32)
              }
            }
          }
        }
        """, lower("""
        kiln 1
        model relu(%x: f32[N, 4]) -> (%y: f32[N, 4]) {
          %y = Relu(%x)
        }
        """, Map.of("x", new long[] {2, 4})).toString());
  }

  @Test
  void f32MatMulIsTheIntrinsic() {
    assertEquals("""
        program mm(in %a: f32[2, 3], in %b: f32[3, 4]) -> (out %c: f32[2, 4]) {
          kernel mat_mul_0 @"MatMul node defining %c"(in %a, in %b, out %c) {
            matmul 2x4x3 %c[0; 4, 1] = %a[0; 3, 1] * %b[0; 4, 1] acc $acc: f32
          }
        }
        """, lower("""
        kiln 1
        model mm(%a: f32[2, 3], %b: f32[3, 4]) -> (%c: f32[2, 4]) {
          %c = MatMul(%a, %b)
        }
        """, Map.of("a", new long[] {2, 3}, "b", new long[] {3, 4})).toString());
  }

  @Test
  void batchedMatMulMovesOffsetsAndGemmHasAnEpilogue() {
    assertEquals("""
        program mm(in %a: f32[2, 5, 2, 3], in %b: f32[5, 3, 4]) -> (out %c: f32[2, 5, 2, 4]) {
          kernel mat_mul_0 @"MatMul node defining %c"(in %a, in %b, out %c) {
            for b0 in 0..2 {
              for b1 in 0..5 {
                matmul 2x4x3 %c[((b0 * 40) + (b1 * 8)); 4, 1] = %a[((b0 * 30) + (b1 * 6)); 3, 1] * %b[(b1 * 12); 4, 1] acc $acc: f32
              }
            }
          }
        }
        """, lower("""
        kiln 1
        model mm(%a: f32[2, 5, 2, 3], %b: f32[5, 3, 4]) -> (%c: f32[2, 5, 2, 4]) {
          %c = MatMul(%a, %b)
        }
        """, Map.of("a", new long[] {2, 5, 2, 3}, "b", new long[] {5, 3, 4})).toString());
    assertEquals("""
        program g(in %a: f32[3, 2], in %b: f32[4, 3], in %c: f32[4]) -> (out %y: f32[2, 4]) {
          kernel gemm_0 @"Gemm node defining %y"(in %a, in %b, in %c, out %y) {
            matmul 2x4x3 %y[0; 4, 1] = %a[0; 1, 2] * %b[0; 1, 3] acc $acc: f32 epilogue ((2.0:f32 * $acc) + (0.5:f32 * $c)) with $c = %c[0; 0, 1]
          }
        }
        """, lower("""
        kiln 1
        model g(%a: f32[3, 2], %b: f32[4, 3], %c: f32[4]) -> (%y: f32[2, 4]) {
          %y = Gemm(%a, %b, %c) {transA = 1, transB = 1, alpha = 2.0, beta = 0.5}
        }
        """, Map.of("a", new long[] {3, 2}, "b", new long[] {4, 3}, "c", new long[] {4})).toString());
  }

  @Test
  void matMulOfOtherTypesIsATripleLoopWithALocalAccumulator() {
    assertEquals("""
        program mm(in %a: f64[2, 3], in %b: f64[3, 4]) -> (out %c: f64[2, 4]) {
          kernel mat_mul_0 @"MatMul node defining %c"(in %a, in %b, out %c) {
            for i in 0..2 {
              for j in 0..4 {
                let $acc: f64 = 0.0:f64
                for k in 0..3 {
                  $acc = ($acc + (%a[i, k] * %b[k, j]))
                }
                %c[i, j] = $acc
              }
            }
          }
        }
        """, lower("""
        kiln 1
        model mm(%a: f64[2, 3], %b: f64[3, 4]) -> (%c: f64[2, 4]) {
          %c = MatMul(%a, %b)
        }
        """, Map.of("a", new long[] {2, 3}, "b", new long[] {3, 4})).toString());
  }

  @Test
  void paddedStridedConvGuardsItsBorderTaps() {
    assertEquals("""
        program conv(in %x: f32[1, 2, 5, 5], in %w: f32[4, 2, 3, 3], in %b: f32[4]) -> (out %y: f32[1, 4, 3, 3]) {
          kernel conv_0 @"Conv node 'c1'"(in %x, in %w, in %b, out %y) {
            for n in 0..1 {
              for m in 0..4 {
                for o0 in 0..3 {
                  for o1 in 0..3 {
                    let $acc: f32 = %b[m]
                    for c in 0..2 {
                      for k0 in 0..3 {
                        for k1 in 0..3 {
                          if ((((((o0 * 2) - 1) + k0) >= 0) && ((((o0 * 2) - 1) + k0) < 5)) && (((((o1 * 2) - 1) + k1) >= 0) && ((((o1 * 2) - 1) + k1) < 5))) {
                            $acc = ($acc + (%x[n, c, (((o0 * 2) - 1) + k0), (((o1 * 2) - 1) + k1)] * %w[m, c, k0, k1]))
                          }
                        }
                      }
                    }
                    %y[n, m, o0, o1] = $acc
                  }
                }
              }
            }
          }
        }
        """, lower("""
        kiln 1
        model conv(%x: f32[1, 2, 5, 5], %w: f32[4, 2, 3, 3], %b: f32[4]) -> (%y: f32[1, 4, 3, 3]) {
          "c1": %y = Conv(%x, %w, %b) {pads = [1, 1, 1, 1], strides = [2, 2]}
        }
        """, Map.of("x", new long[] {1, 2, 5, 5}, "w", new long[] {4, 2, 3, 3}, "b", new long[] {4}))
        .toString());
  }
}
