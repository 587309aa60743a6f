package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.OpTesting.assertBools;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertLongs;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertTensor;
import static dev.kiln.ir.ops.elementwise.OpTesting.bools;
import static dev.kiln.ir.ops.elementwise.OpTesting.eval;
import static dev.kiln.ir.ops.elementwise.OpTesting.f32;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferError;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferText;
import static dev.kiln.ir.ops.elementwise.OpTesting.ints;
import static dev.kiln.ir.ops.elementwise.OpTesting.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

/** Comparisons, logical operators and Where. */
class ComparisonOpsTest {

  @Test
  void comparisonsGiveBoolOfTheBroadcastShape() {
    assertEquals("bool[N, 4]", inferText("Equal", "f32[N, 1]", "f32[4]"));
    assertEquals("bool[2]", inferText("Less", "u8[2]", "u8[]"));
    assertEquals("bool[3]", inferText("Equal", "bool[3]", "bool[3]"));
    assertEquals("input 0 must be a numeric tensor, got bool[3]", inferError("Greater", "bool[3]", "bool[3]"));
    assertEquals("inputs 0 and 1 must have the same element type, got i32[3] and i64[3]", inferError("Equal", "i32[3]", "i64[3]"));
  }

  @Test
  void floatComparisonsFollowIeee() {
    Tensor x = f32(1, Float.NaN, -0.0f, 2);
    Tensor y = f32(1, Float.NaN, 0, 3);
    assertBools(shape(4), eval("Equal", x, y), true, false, true, false);
    assertBools(shape(4), eval("Less", x, y), false, false, false, true);
    assertBools(shape(4), eval("LessOrEqual", x, y), true, false, true, true);
    assertBools(shape(4), eval("Greater", x, y), false, false, false, false);
    assertBools(shape(4), eval("GreaterOrEqual", x, y), true, false, true, false);
  }

  @Test
  void integerComparisonsBroadcastAndRespectSignedness() {
    assertBools(shape(2, 2), eval("Greater", Tensor.ofLongs(shape(2, 1), -1, 5), ints(DType.I64, 0, 5)), false, false, true, false);
    assertBools(shape(2), eval("Greater", ints(DType.U8, 200, 1), ints(DType.U8, 100, 100)), true, false);
    // 2^64 - 1 as u64 is greater than 1, though its bits are the long -1.
    assertBools(shape(1), eval("Greater", ints(DType.U64, -1), ints(DType.U64, 1)), true);
    assertBools(shape(2), eval("Equal", ints(DType.I32, 3, 4), ints(DType.I32, 3)), true, false);
    assertBools(shape(2), eval("Equal", bools(true, false), bools(true, true)), true, false);
  }

  @Test
  void logicalOperatorsOnBools() {
    Tensor a = bools(false, false, true, true);
    Tensor b = bools(false, true, false, true);
    assertBools(shape(4), eval("And", a, b), false, false, false, true);
    assertBools(shape(4), eval("Or", a, b), false, true, true, true);
    assertBools(shape(4), eval("Xor", a, b), false, true, true, false);
    assertBools(shape(2, 2), eval("And", Tensor.ofBooleans(shape(2, 1), true, false), bools(true, false)), true, false, false, false);
    assertEquals("input 0 must be a bool tensor, got f32[2]", inferError("Or", "f32[2]", "f32[2]"));
  }

  @Test
  void whereBroadcastsThreeWays() {
    Tensor condition = Tensor.ofBooleans(shape(2, 1), true, false);
    Tensor x = f32(shape(1, 3), 1, 2, 3);
    Tensor y = Tensor.scalar(DType.F32, -1);
    assertTensor(DType.F32, shape(2, 3), new double[] {1, 2, 3, -1, -1, -1}, eval("Where", condition, x, y));
    assertLongs(DType.I64, shape(2), new long[] {7, 20}, eval("Where", bools(true, false), ints(DType.I64, 7, 8), ints(DType.I64, 10, 20)));
    assertEquals("i8[N, 3]", inferText("Where", "bool[N, 1]", "i8[3]", "i8[]"));
    assertEquals("bool[2, 2]", inferText("Where", "bool[2, 1]", "bool[2]", "bool[1]"));
  }

  @Test
  void whereCopiesElementsBitForBit() {
    Tensor x = f32(-0.0f, Float.intBitsToFloat(0x7fc01234));
    Tensor out = eval("Where", bools(true, true), x, f32(0, 0));
    assertEquals(x, out); // Tensor equality compares bytes: -0 and the NaN payload survive
  }

  @Test
  void whereChecksItsInputs() {
    assertEquals("input 0 must be a bool tensor, got f32[2]", inferError("Where", "f32[2]", "f32[2]", "f32[2]"));
    assertEquals("inputs 1 and 2 must have the same element type, got f32[2] and f16[2]", inferError("Where", "bool[2]", "f32[2]", "f16[2]"));
    assertEquals("shapes [[2], [3], [2]] cannot be broadcast: dimension 2 against 3", inferError("Where", "bool[2]", "f32[3]", "f32[2]"));
  }
}
