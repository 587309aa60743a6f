package dev.kiln.ir.ops.reduce;

import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class ArgReduceTest {
  /** [[1, 3, 3], [5, 2, 5]] */
  private static final Tensor X = tensor(shape(2, 3), 1, 3, 3, 5, 2, 5);

  @Test
  void argMaxTakesTheFirstOfEqualsByDefault() {
    Tensor y = OpCall.of("ArgMax").attr("axis", 1).in(X).eval();
    assertEquals(DType.I64, y.dtype());
    assertArrayEquals(shape(2, 1), y.shape());
    assertArrayEquals(new long[] {1, 0}, y.toLongArray());
  }

  @Test
  void selectLastIndex() {
    Tensor y = OpCall.of("ArgMax").attr("axis", -1).attr("select_last_index", 1).in(X).eval();
    assertArrayEquals(new long[] {2, 2}, y.toLongArray());
  }

  @Test
  void argMinOverTheFirstAxisWithoutKeepdims() {
    Tensor y = OpCall.of("ArgMin").attr("keepdims", 0).in(X).eval();
    assertArrayEquals(shape(3), y.shape());
    assertArrayEquals(new long[] {0, 1, 0}, y.toLongArray());
  }

  @Test
  void integerAndNaNInputs() {
    Tensor ints = Tensor.ofLongs(DType.I32, shape(4), 3, -7, 9, -7);
    assertArrayEquals(new long[] {1}, OpCall.of("ArgMin").in(ints).eval().toLongArray());
    Tensor nan = tensor(shape(3), 1, Double.NaN, 5);
    assertArrayEquals(new long[] {1}, OpCall.of("ArgMax").in(nan).eval().toLongArray());
    assertArrayEquals(new long[] {1}, OpCall.of("ArgMin").in(nan).eval().toLongArray());
  }

  @Test
  void infersSymbolicShapes() {
    assertEquals(
        "i64[N, 1]", OpCall.of("ArgMax").attr("axis", 1).in(f32("N", "C")).inferText());
    assertEquals(
        "i64[C]", OpCall.of("ArgMax").attr("keepdims", 0).in(f32("N", "C")).inferText());
  }

  @Test
  void rejectsBadAxisAndEmptyAxis() {
    assertEquals(
        "attribute 'axis' 2 is out of range for rank 2",
        OpCall.of("ArgMax").attr("axis", 2).in(f32(2, 3)).inferError());
    assertEquals(
        "ArgMin over axis 1 of f32[2, 0], which is empty, has no answer",
        OpCall.of("ArgMin").attr("axis", 1).in(f32(2, 0)).inferError());
  }
}
