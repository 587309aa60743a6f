package dev.kiln.ir.ops.nn;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.type;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
  /** [[1, 2, 3], [1, 1, 1]] */
  private static final Tensor X = tensor(shape(2, 3), 1, 2, 3, 1, 1, 1);

  @Test
  void lastAxisByDefault() {
    double third = 1.0 / 3;
    assertTensor(
        shape(2, 3),
        new double[] {0.09003057, 0.24472847, 0.66524096, third, third, third},
        OpCall.of("Softmax").in(X).eval());
  }

  @Test
  void firstAxisNormalizesColumns() {
    // Columns (1, 1), (2, 1), (3, 1): e^d / (e^d + 1) for d = 0, 1, 2.
    assertTensor(
        shape(2, 3),
        new double[] {0.5, 0.7310586, 0.8807971, 0.5, 0.2689414, 0.1192029},
        OpCall.of("Softmax").attr("axis", 0).in(X).eval());
  }

  @Test
  void middleAxisOfRankThree() {
    Tensor x = tensor(shape(1, 2, 2), 0, 1, 0, 3);
    assertTensor(
        shape(1, 2, 2),
        new double[] {0.5, 0.1192029, 0.5, 0.8807971},
        OpCall.of("Softmax").attr("axis", -2).in(x).eval());
  }

  @Test
  void emptyDimAfterTheAxisGivesAnEmptyResult() {
    Tensor x = Tensor.zeros(DType.F32, 3, 1, 0);
    assertEquals(x, OpCall.of("Softmax").attr("axis", 0).in(x).eval());
  }

  @Test
  void logSoftmaxAndLargeInputs() {
    assertTensor(
        shape(1, 3),
        new double[] {-2.40760596, -1.40760596, -0.40760596},
        OpCall.of("LogSoftmax").in(tensor(shape(1, 3), 1, 2, 3)).eval());
    assertTensor(
        shape(2), new double[] {0.5, 0.5}, OpCall.of("Softmax").in(tensor(shape(2), 1000, 1000)).eval());
    assertTensor(
        shape(2),
        new double[] {Math.log(0.5), Math.log(0.5)},
        OpCall.of("LogSoftmax").in(tensor(shape(2), 1000, 1000)).eval());
  }

  @Test
  void infersAndRejects() {
    assertEquals("f32[N, 10]", OpCall.of("Softmax").in(f32("N", 10)).inferText());
    assertEquals(
        "attribute 'axis' 2 is out of range for rank 2",
        OpCall.of("Softmax").attr("axis", 2).in(f32(2, 3)).inferError());
    assertEquals(
        "input 0 must be [f16, bf16, f32, f64], got i64[3]",
        OpCall.of("LogSoftmax").in(type(DType.I64, 3)).inferError());
  }
}
