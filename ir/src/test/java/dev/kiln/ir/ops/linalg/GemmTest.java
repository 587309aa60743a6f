package dev.kiln.ir.ops.linalg;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import org.junit.jupiter.api.Test;

class GemmTest {
  private static final Tensor A23 = tensor(shape(2, 3), 1, 2, 3, 4, 5, 6);

  @Test
  void transposedBWithAlphaBetaAndRowBias() {
    // A * B^T = [[4, 2], [10, 5]]; * 0.5 = [[2, 1], [5, 2.5]]; + 2 * [1, -1] per row.
    Tensor b = tensor(shape(2, 3), 1, 0, 1, 0, 1, 0);
    Tensor c = tensor(shape(2), 1, -1);
    Tensor y =
        OpCall.of("Gemm")
            .attr("transB", 1)
            .attr("alpha", 0.5f)
            .attr("beta", 2.0f)
            .in(A23)
            .in(b)
            .in(c)
            .eval();
    assertTensor(shape(2, 2), new double[] {4, -1, 7, 0.5}, y);
  }

  @Test
  void transposedAWithColumnBias() {
    Tensor aStoredTransposed = tensor(shape(3, 2), 1, 4, 2, 5, 3, 6);
    Tensor b = tensor(shape(3, 2), 7, 8, 9, 10, 11, 12);
    Tensor c = tensor(shape(2, 1), 1, 2);
    Tensor y = OpCall.of("Gemm").attr("transA", 1).in(aStoredTransposed).in(b).in(c).eval();
    assertTensor(shape(2, 2), new double[] {59, 65, 141, 156}, y);
  }

  @Test
  void scalarBiasAndNoBias() {
    Tensor b = tensor(shape(3, 2), 7, 8, 9, 10, 11, 12);
    assertTensor(
        shape(2, 2),
        new double[] {68, 74, 149, 164},
        OpCall.of("Gemm").in(A23).in(b).in(tensor(shape(), 10)).eval());
    assertTensor(
        shape(2, 2), new double[] {58, 64, 139, 154}, OpCall.of("Gemm").in(A23).in(b).eval());
  }

  @Test
  void infersSymbolicRows() {
    assertEquals(
        "f32[N, 10]",
        OpCall.of("Gemm").attr("transB", 1).in(f32("N", 256)).in(f32(10, 256)).in(f32(10))
            .inferText());
  }

  @Test
  void rejectsBadOperands() {
    assertEquals(
        "input 0 (A) of Gemm must be 2-D, got f32[1, 2, 3]",
        OpCall.of("Gemm").in(f32(1, 2, 3)).in(f32(3, 2)).inferError());
    assertEquals(
        "Gemm inner dimensions do not match: input 0 is f32[2, 3] (K = 3)"
            + " and input 1 is f32[3, 2] transposed (K = 2)",
        OpCall.of("Gemm").attr("transB", 1).in(f32(2, 3)).in(f32(3, 2)).inferError());
    assertEquals(
        "input 2 (C) of Gemm has shape [3], which does not broadcast to the output shape [2, 2]",
        OpCall.of("Gemm").in(f32(2, 3)).in(f32(3, 2)).in(f32(3)).inferError());
    assertEquals(
        "attribute 'transA' must be 0 or 1, got 2",
        OpCall.of("Gemm").attr("transA", 2).in(f32(2, 3)).in(f32(3, 2)).inferError());
  }
}
