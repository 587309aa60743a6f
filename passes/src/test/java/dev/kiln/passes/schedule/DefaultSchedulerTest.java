package dev.kiln.passes.schedule;

import static dev.kiln.passes.schedule.ScheduleChecks.assertLegal;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.type.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DefaultSchedulerTest {
  static final DefaultScheduler EIGHT_LANES = new DefaultScheduler(new ScheduleOptions(8, 4, 8, true, 4));

  static Schedule scheduled(Kernel k) {
    Schedule s = EIGHT_LANES.schedule(k);
    assertLegal(s, Map.of(), k.name());
    return s;
  }

  @Test
  void elementwiseFusesOuterLoopsParallelizesAndVectorizesByLanes() {
    // Rule: fuse all but the innermost, parallel outer, split innermost by lanes, vectorize lanes.
    Schedule s = scheduled(Fixtures.biasRelu(2, 3, 16));
    assertEquals("""
        fuse(i, j) -> i_j
        split(k, 8) -> k.o, k.i
        vectorize(k.i)
        parallelize(i_j)
        """, s.trace().toString());
  }

  @Test
  void anInnermostLoopThatLanesDoNotDivideIsVectorizedWhole() {
    Schedule s = scheduled(Fixtures.biasRelu(1, 3, 5));
    assertEquals("""
        fuse(i, j) -> i_j
        vectorize(k)
        parallelize(i_j)
        """, s.trace().toString());
  }

  @Test
  void matmulAccumulatesInPlaceToVectorizeItsColumns() {
    // Rule: let acc; for k; c[i, j] = acc  ->  c[i, j] = 0; then i, k, j with j as SIMD lanes.
    Schedule s = scheduled(Fixtures.matmul(9, 5, 20));
    assertEquals("""
        accumulate_in_place(j)
        fission(j) -> j, j2
        fission(i) -> i, i2
        reorder(k, j2)
        vectorize(j2)
        vectorize(j)
        parallelize(i)
        parallelize(i2)
        """, s.trace().toString());
    assertEquals("""
        kernel matmul @"MatMul"(in %a, const %w, out %c) {
          parallel for i in 0..9 {
            vectorized for j in 0..20 {
              %c[i, j] = 0.0:f32
            }
          }
          parallel for i2 in 0..9 {
            for k in 0..5 {
              vectorized for j2 in 0..20 {
                %c[i2, j2] = (%c[i2, j2] + (%a[i2, k] * %w[k, j2]))
              }
            }
          }
        }
        """, s.kernel().toString());
  }

  @Test
  void aNonF32MatmulKeepsItsLocalAccumulator() {
    Kernel f64 = Fixtures.matmulOf(DType.F64, 9, 5, 20);
    assertEquals("tile(i, j, 4, 8) -> i.o, j.o, i.i, j.i\nparallelize(i.o)\n", scheduled(f64).trace().toString());
  }

  @Test
  void withoutLanesMatmulTilesTheOutputAndParallelizesTheRowTiles() {
    Schedule s = new DefaultScheduler(new ScheduleOptions(1, 4, 8, true, 4)).schedule(Fixtures.matmul(9, 5, 20));
    assertLegal(s, Map.of(), "");
    assertEquals("""
        tile(i, j, 4, 8) -> i.o, j.o, i.i, j.i
        parallelize(i.o)
        """, s.trace().toString());
    assertEquals("""
        kernel matmul @"MatMul"(in %a, const %w, out %c) {
          parallel for i.o in 0..3 {
            for j.o in 0..3 {
              for i.i in 0..4 {
                if (((i.o * 4) + i.i) < 9) {
                  for j.i in 0..8 {
                    if (((j.o * 8) + j.i) < 20) {
                      let $acc: f32 = 0.0:f32
                      for k in 0..5 {
                        $acc = ($acc + (%a[((i.o * 4) + i.i), k] * %w[k, ((j.o * 8) + j.i)]))
                      }
                      %c[((i.o * 4) + i.i), ((j.o * 8) + j.i)] = $acc
                    }
                  }
                }
              }
            }
          }
        }
        """, s.kernel().toString());
  }

  @Test
  void convolutionVectorizesOutputColumnsOrParallelizesFiltersAndUnrollsTheWindow() {
    Schedule s = scheduled(Fixtures.conv(2, 3, 6, 3));
    assertEquals("""
        accumulate_in_place(ow)
        fission(ow) -> ow, ow2
        fission(oh) -> oh, oh2
        fission(f) -> f, f2
        reorder(c, kh, kw, ow2)
        vectorize(ow2)
        vectorize(ow)
        parallelize(f)
        parallelize(f2)
        """, s.trace().toString());
    Schedule scalar = new DefaultScheduler(new ScheduleOptions(1, 4, 8, true, 4)).schedule(Fixtures.conv(2, 3, 6, 3));
    assertLegal(scalar, Map.of(), "");
    assertEquals("""
        parallelize(f)
        unroll(kw)
        """, scalar.trace().toString());
  }

  @Test
  void inPlaceReductionsKeepTheirReductionLoopSerial() {
    // The accumulate nest is elementwise in shape but k carries c[i, j]: it is not vectorized.
    Schedule s = scheduled(Fixtures.matmulInPlace(3, 4, 16));
    assertEquals("""
        split(j0, 8) -> j0.o, j0.i
        vectorize(j0.i)
        parallelize(i0)
        fuse(i, j) -> i_j
        parallelize(i_j)
        """, s.trace().toString());
    Schedule sum = scheduled(Fixtures.rowSum(3, 4, 5));
    assertEquals("""
        vectorize(i0)
        parallelize(i)
        """, sum.trace().toString());
  }
}
