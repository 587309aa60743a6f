package dev.kiln.ir.ops.linalg;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.type;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class MatMulTest {
  private static final Tensor A23 = tensor(shape(2, 3), 1, 2, 3, 4, 5, 6);
  private static final Tensor B32 = tensor(shape(3, 2), 7, 8, 9, 10, 11, 12);

  private static OpCall matmul(Tensor a, Tensor b) {
    return OpCall.of("MatMul").in(a).in(b);
  }

  @Test
  void multipliesMatrices() {
    assertTensor(shape(2, 2), new double[] {58, 64, 139, 154}, matmul(A23, B32).eval());
  }

  @Test
  void vectorTimesMatrixDropsThePromotedRow() {
    Tensor v = tensor(shape(3), 1, 2, 3);
    assertTensor(shape(2), new double[] {58, 64}, matmul(v, B32).eval());
  }

  @Test
  void matrixTimesVectorDropsThePromotedColumn() {
    Tensor v = tensor(shape(3), 1, 1, 1);
    assertTensor(shape(2), new double[] {6, 15}, matmul(A23, v).eval());
  }

  @Test
  void vectorDotVectorIsAScalar() {
    Tensor a = tensor(shape(3), 1, 2, 3);
    Tensor b = tensor(shape(3), 4, 5, 6);
    assertTensor(shape(), new double[] {32}, matmul(a, b).eval());
  }

  @Test
  void batchDimensionsBroadcast() {
    // a: [2, 1, 2, 2] holding I and 2I; b: [3, 2, 2]. Result [i][j] = a_i * b_j.
    Tensor a = tensor(shape(2, 1, 2, 2), 1, 0, 0, 1, 2, 0, 0, 2);
    Tensor b = tensor(shape(3, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 1, 0);
    assertTensor(
        shape(2, 3, 2, 2),
        new double[] {
          1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 1, 0, //
          2, 4, 6, 8, 10, 12, 14, 16, 0, 2, 2, 0
        },
        matmul(a, b).eval());
  }

  @Test
  void integerMatMulIsExact() {
    Tensor a = Tensor.ofLongs(shape(1, 2), 3_000_000_000L, 1);
    Tensor b = Tensor.ofLongs(shape(2, 1), 3, 1);
    Tensor y = matmul(a, b).eval();
    assertEquals(DType.I64, y.dtype());
    assertArrayEquals(new long[] {9_000_000_001L}, y.toLongArray());
  }

  @Test
  void infersSymbolicBatchAndRows() {
    assertEquals(
        "f32[N, 128, 10]",
        OpCall.of("MatMul").in(f32("N", 128, 64)).in(f32(64, 10)).inferText());
    assertEquals(
        "f32[B, S, 64]",
        OpCall.of("MatMul").in(f32("B", "S", "D")).in(f32("D", 64)).inferText());
    assertEquals("f32[N]", OpCall.of("MatMul").in(f32("N", 64)).in(f32(64)).inferText());
    assertEquals("f32[5, 2, 3]", OpCall.of("MatMul").in(f32(5, 2, 4)).in(f32(1, 4, 3)).inferText());
  }

  @Test
  void rejectsInnerDimensionMismatch() {
    assertEquals(
        "MatMul inner dimensions do not match: input 0 is f32[N, 2, 3] (K = 3)"
            + " and input 1 is f32[4, 5] (K = 4)",
        OpCall.of("MatMul").in(f32("N", 2, 3)).in(f32(4, 5)).inferError());
  }

  @Test
  void rejectsIncompatibleBatchDimensions() {
    assertEquals(
        "shapes [[2], [3]] cannot be broadcast: dimension 2 against 3",
        OpCall.of("MatMul").in(f32(2, 4, 4)).in(f32(3, 4, 4)).inferError());
  }

  @Test
  void rejectsScalarsAndMixedTypes() {
    assertEquals(
        "MatMul needs operands of rank >= 1, got f32[] and f32[3] (use Mul for scalars)",
        OpCall.of("MatMul").in(f32()).in(f32(3)).inferError());
    assertEquals(
        "inputs 0 and 1 must have the same element type, got f32[2, 3] and f64[3, 2]",
        OpCall.of("MatMul").in(f32(2, 3)).in(type(DType.F64, 3, 2)).inferError());
    assertEquals(
        "input 0 must be [f16, bf16, f32, f64, i32, i64, u32, u64], got bool[2, 2]",
        OpCall.of("MatMul").in(type(DType.BOOL, 2, 2)).in(type(DType.BOOL, 2, 2)).inferError());
  }
}
