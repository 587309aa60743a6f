package dev.kiln.ir.ops.reduce;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.type;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopKTest {
  /** [[3, 1, 3, NaN], [0, 5, -2, 4]] */
  private static final Tensor X = tensor(shape(2, 4), 3, 1, 3, Double.NaN, 0, 5, -2, 4);

  private static Tensor k(long k) {
    return Tensor.ofLongs(new long[] {1}, k);
  }

  @Test
  void largestAlongTheLastAxisSortedWithTiesInIndexOrder() {
    List<Tensor> out = OpCall.of("TopK").in(X).constIn(k(3)).outputs(2).evalAll();
    // NaN first among the largest; the tied 3s keep their index order.
    assertTensor(shape(2, 3), new double[] {Double.NaN, 3, 3, 5, 4, 0}, out.get(0));
    assertArrayEquals(new long[] {3, 0, 2, 1, 3, 0}, out.get(1).toLongArray());
  }

  @Test
  void smallestAlongTheFirstAxis() {
    List<Tensor> out = OpCall.of("TopK").attr("axis", 0).attr("largest", 0).in(X).constIn(k(1))
        .outputs(2).evalAll();
    // The NaN is last among the smallest, so column 3 picks the 4.
    assertTensor(shape(1, 4), new double[] {0, 1, -2, 4}, out.get(0));
    assertArrayEquals(new long[] {1, 0, 1, 1}, out.get(1).toLongArray());
  }

  @Test
  void integersAndAnEmptyK() {
    Tensor ints = Tensor.ofLongs(DType.U8, shape(3), 200, 7, 255);
    List<Tensor> out = OpCall.of("TopK").in(ints).constIn(k(2)).outputs(2).evalAll();
    assertArrayEquals(new long[] {255, 200}, out.get(0).toLongArray());
    assertArrayEquals(new long[] {2, 0}, out.get(1).toLongArray());
    assertEquals(0, OpCall.of("TopK").in(ints).constIn(k(0)).outputs(2).evalAll().get(0).size());
  }

  @Test
  void outputTypesWithKnownAndUnknownK() {
    assertEquals(List.of(type(DType.F32, 2, 3), type(DType.I64, 2, 3)),
        OpCall.of("TopK").in(f32(2, 4)).constIn(k(3)).outputs(2).inferAll());
    assertEquals(List.of(type(DType.F32, 2, "?"), type(DType.I64, 2, "?")),
        OpCall.of("TopK").in(f32(2, 4)).in(type(DType.I64, 1)).outputs(2).inferAll());
  }

  @Test
  void rejectsBadK() {
    assertEquals("input 1 (K) = 5 must be in [0, 4], the size of axis 1",
        OpCall.of("TopK").in(f32(2, 4)).constIn(k(5)).outputs(2).inferError());
    assertEquals("input 1 (K) = -1 must be in [0, 4], the size of axis 1",
        OpCall.of("TopK").in(f32(2, 4)).constIn(k(-1)).outputs(2).inferError());
    assertEquals("input 1 (K) must be an i64 tensor of one element, got i32[1]",
        OpCall.of("TopK").in(f32(2, 4)).in(type(DType.I32, 1)).outputs(2).inferError());
    assertEquals("attribute 'largest' must be 0 or 1, got 2",
        OpCall.of("TopK").attr("largest", 2).in(f32(2, 4)).constIn(k(1)).outputs(2).inferError());
  }
}
