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
  void matMulIsATripleLoopWithALocalAccumulator() {
    assertEquals("""
        program mm(in %a: f32[2, 3], in %b: f32[3, 4]) -> (out %c: f32[2, 4]) {
          kernel mat_mul_0 @"MatMul node defining %c"(in %a, in %b, out %c) {
            for i in 0..2 {
              for j in 0..4 {
                let $acc: f32 = 0.0:f32
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
        model mm(%a: f32[2, 3], %b: f32[3, 4]) -> (%c: f32[2, 4]) {
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
