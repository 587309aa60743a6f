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

class HardmaxTest {
  /** [[1, 3, 3], [2, NaN, 5]] */
  private static final Tensor X = tensor(shape(2, 3), 1, 3, 3, 2, Double.NaN, 5);

  @Test
  void firstLargestAlongTheLastAxisByDefault() {
    // Row 0: the first of the tied 3s; row 1: the NaN wins, as in NumPy's argmax.
    assertTensor(shape(2, 3), new double[] {0, 1, 0, 0, 1, 0}, OpCall.of("Hardmax").in(X).eval());
  }

  @Test
  void otherAxis() {
    // Column 1 holds a NaN, which wins; the others pick their larger element.
    assertTensor(shape(2, 3), new double[] {0, 0, 0, 1, 1, 1},
        OpCall.of("Hardmax").attr("axis", 0).in(X).eval());
  }

  @Test
  void emptyAxisGivesAnEmptyResult() {
    assertEquals(0, OpCall.of("Hardmax").in(tensor(shape(2, 0))).eval().size());
  }

  @Test
  void rejectsIntegersAndBadAxes() {
    assertEquals("input 0 must be [f16, bf16, f32, f64], got i32[2]",
        OpCall.of("Hardmax").in(type(DType.I32, 2)).inferError());
    assertEquals("attribute 'axis' 2 is out of range for rank 2",
        OpCall.of("Hardmax").attr("axis", 2).in(f32(2, 3)).inferError());
  }
}
