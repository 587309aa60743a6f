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
import org.junit.jupiter.api.Test;

class CumSumTest {
  /** [[1, 2, 3], [4, 5, 6]] */
  private static final Tensor X = tensor(shape(2, 3), 1, 2, 3, 4, 5, 6);

  private static Tensor axis(long a) {
    return Tensor.ofLongs(new long[0], a);
  }

  @Test
  void inclusiveAlongEitherAxis() {
    assertTensor(shape(2, 3), new double[] {1, 3, 6, 4, 9, 15},
        OpCall.of("CumSum").in(X).in(axis(1)).eval());
    assertTensor(shape(2, 3), new double[] {1, 2, 3, 5, 7, 9},
        OpCall.of("CumSum").in(X).in(Tensor.ofInts(new long[] {1}, -2)).eval());
  }

  @Test
  void exclusiveAndReverse() {
    assertTensor(shape(2, 3), new double[] {0, 1, 3, 0, 4, 9},
        OpCall.of("CumSum").attr("exclusive", 1).in(X).in(axis(1)).eval());
    assertTensor(shape(2, 3), new double[] {6, 5, 3, 15, 11, 6},
        OpCall.of("CumSum").attr("reverse", 1).in(X).in(axis(1)).eval());
    assertTensor(shape(2, 3), new double[] {5, 3, 0, 11, 6, 0},
        OpCall.of("CumSum").attr("reverse", 1).attr("exclusive", 1).in(X).in(axis(1)).eval());
  }

  @Test
  void integersWrapInTheirType() {
    Tensor ints = Tensor.ofLongs(DType.I32, shape(2), Integer.MAX_VALUE, 1);
    assertArrayEquals(new long[] {Integer.MAX_VALUE, Integer.MIN_VALUE},
        OpCall.of("CumSum").in(ints).in(axis(0)).eval().toLongArray());
  }

  @Test
  void rejectsBadAxesAndFlags() {
    assertEquals("input 1 (axis) must be an i32 or i64 scalar, got i64[2]",
        OpCall.of("CumSum").in(f32(2, 3)).in(type(DType.I64, 2)).inferError());
    assertEquals("input 1 (axis) must be an i32 or i64 scalar, got f32[]",
        OpCall.of("CumSum").in(f32(2, 3)).in(f32()).inferError());
    assertEquals("input 1 (axis) 2 is out of range for rank 2",
        OpCall.of("CumSum").in(f32(2, 3)).constIn(axis(2)).inferError());
    assertEquals("attribute 'reverse' must be 0 or 1, got 3",
        OpCall.of("CumSum").attr("reverse", 3).in(f32(2, 3)).in(axis(0)).inferError());
    assertEquals("input 0 must be a numeric tensor, got bool[2]",
        OpCall.of("CumSum").in(type(DType.BOOL, 2)).in(axis(0)).inferError());
  }
}
