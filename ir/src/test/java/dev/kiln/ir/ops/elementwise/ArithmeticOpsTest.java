package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.OpTesting.assertLongs;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertTensor;
import static dev.kiln.ir.ops.elementwise.OpTesting.attrs;
import static dev.kiln.ir.ops.elementwise.OpTesting.eval;
import static dev.kiln.ir.ops.elementwise.OpTesting.evalError;
import static dev.kiln.ir.ops.elementwise.OpTesting.f32;
import static dev.kiln.ir.ops.elementwise.OpTesting.f64;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferError;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferResult;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferText;
import static dev.kiln.ir.ops.elementwise.OpTesting.ints;
import static dev.kiln.ir.ops.elementwise.OpTesting.schema;
import static dev.kiln.ir.ops.elementwise.OpTesting.shape;
import static dev.kiln.ir.ops.elementwise.OpTesting.type;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Broadcasting arithmetic, Pow and the variadic operators. */
class ArithmeticOpsTest {

  @Test
  void broadcastingShapesIncludingSymbolicDims() {
    assertEquals("f32[3, 4]", inferText("Add", "f32[3, 1]", "f32[1, 4]"));
    assertEquals("f32[2, 3]", inferText("Mul", "f32[]", "f32[2, 3]"));
    assertEquals("f32[5, 2, 3]", inferText("Sub", "f32[5, 2, 3]", "f32[3]"));
    assertEquals("f32[N, 4]", inferText("Add", "f32[N, 1]", "f32[1, 4]"));
    assertEquals("f32[N, 3]", inferText("Add", "f32[N, 3]", "f32[3]"));
    assertEquals("f32[N, 3]", inferText("Add", "f32[N, 3]", "f32[1, 3]"));
    // A name against a known size other than 1 takes the size; two names give an unknown dim.
    assertEquals("f32[4]", inferText("Div", "f32[N]", "f32[4]"));
    assertEquals("f32[?]", inferText("Add", "f32[N]", "f32[M]"));
    assertEquals("i64[0, 3]", inferText("Add", "i64[0, 3]", "i64[1, 3]"));
  }

  @Test
  void rejectsShapesThatDoNotBroadcastAndMixedTypes() {
    assertEquals(
        "shapes [[2, 3], [4]] cannot be broadcast: dimension 3 against 4",
        inferError("Add", "f32[2, 3]", "f32[4]"));
    assertEquals(
        "shapes [[2, 3], [4]] cannot be broadcast: dimension 3 against 4",
        evalError("Add", Attributes.EMPTY, Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 4)));
    assertEquals(
        "inputs 0 and 1 must have the same element type, got f32[2] and i64[2]",
        inferError("Mul", "f32[2]", "i64[2]"));
    assertEquals("input 0 must be a numeric tensor, got bool[2]", inferError("Add", "bool[2]", "bool[2]"));
  }

  @Test
  void broadcastValues() {
    Tensor column = f32(shape(3, 1), 1, 2, 3);
    Tensor row = f32(shape(1, 4), 10, 20, 30, 40);
    assertTensor(DType.F32, shape(3, 4),
        new double[] {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43}, eval("Add", column, row));
    assertTensor(DType.F32, shape(2, 2), new double[] {-1, 0, 1, 2}, eval("Sub", f32(shape(2, 2), 1, 2, 3, 4), Tensor.scalar(DType.F32, 2)));
    // Rank mismatch: [3] broadcasts along the leading axis of [2, 3].
    assertTensor(DType.F64, shape(2, 3), new double[] {1, 4, 9, 4, 10, 18},
        eval("Mul", Tensor.ofDoubles(shape(2, 3), 1, 2, 3, 4, 5, 6), f64(1, 2, 3)));
    assertTensor(DType.F32, shape(0, 3), new double[0], eval("Add", Tensor.zeros(DType.F32, 0, 3), f32(shape(1, 3), 1, 2, 3)));
  }

  @Test
  void floatResultsAreRoundedOnceToTheElementType() {
    // 0.1f + 0.2f in float is 0.3f rounded from the exact double sum; f16: 2048 + 1 ties to 2048.
    assertTensor(DType.F32, shape(1), new double[] {0.1f + 0.2f}, eval("Add", f32(0.1f), f32(0.2f)));
    Tensor a = Tensor.ofDoubles(DType.F16, shape(2), 2048, 2048);
    Tensor b = Tensor.ofDoubles(DType.F16, shape(2), 1, 3);
    assertTensor(DType.F16, shape(2), new double[] {2048, 2052}, eval("Add", a, b));
    assertTensor(DType.F32, shape(3), new double[] {Double.POSITIVE_INFINITY, Double.NaN, -0.5},
        eval("Div", f32(1, 0, -1), f32(0, 0, 2)));
  }

  @Test
  void integerArithmeticWrapsToTheElementType() {
    assertLongs(DType.I8, shape(2), new long[] {-128, 2}, eval("Add", ints(DType.I8, 127, 1), ints(DType.I8, 1, 1)));
    assertLongs(DType.U8, shape(1), new long[] {255}, eval("Sub", ints(DType.U8, 0), ints(DType.U8, 1)));
    assertLongs(DType.I32, shape(1), new long[] {(int) (65536L * 65536L + 0)}, eval("Mul", ints(DType.I32, 65536), ints(DType.I32, 65536)));
  }

  @Test
  void integerDivisionTruncatesTowardZero() {
    assertLongs(DType.I32, shape(4), new long[] {3, -3, -3, 3},
        eval("Div", ints(DType.I32, 7, -7, 7, -7), ints(DType.I32, 2, 2, -2, -2)));
    // u64 divides as unsigned: (2^64 - 2) / 2 = 2^63 - 1.
    assertLongs(DType.U64, shape(1), new long[] {Long.MAX_VALUE}, eval("Div", ints(DType.U64, -2), ints(DType.U64, 2)));
  }

  @Test
  void integerDivisionByZeroNamesTheElement() {
    assertEquals(
        "integer division by zero at output index [1, 0]",
        evalError("Div", Attributes.EMPTY, Tensor.ofLongs(shape(2, 2), 1, 2, 3, 4), Tensor.ofLongs(shape(2, 1), 1, 0)));
    // Folding a constant division by zero reports the same error at compile time.
    List<Optional<Tensor>> constants = List.of(Optional.of(ints(DType.I32, 1)), Optional.of(ints(DType.I32, 0)));
    String message = org.junit.jupiter.api.Assertions.assertThrows(
        dev.kiln.ir.op.OpException.class,
        () -> inferResult("Div", Attributes.EMPTY, 1,
            List.of(Optional.of(type("i32[1]")), Optional.of(type("i32[1]"))), constants)).getMessage();
    assertEquals("integer division by zero at output index [0]", message);
  }

  @Test
  void modFollowsTheDivisorOrTheDividend() {
    Tensor x = ints(DType.I32, -7, 7, -7, 7);
    Tensor y = ints(DType.I32, 3, -3, -3, 3);
    assertLongs(DType.I32, shape(4), new long[] {2, -2, -1, 1}, eval("Mod", x, y));
    assertLongs(DType.I32, shape(4), new long[] {-1, 1, -1, 1}, eval("Mod", attrs("fmod", 1), x, y));
    assertTensor(DType.F32, shape(2), new double[] {1.5, -1.5}, eval("Mod", attrs("fmod", 1), f32(5.5f, -5.5f), f32(2, 2)));
    assertEquals(
        "attribute 'fmod' must be 1 for floating-point inputs (got 0 with f32)",
        inferError("Mod", Attributes.EMPTY, type("f32[2]"), type("f32[2]")));
    assertEquals("attribute 'fmod' must be 0 or 1, got 2", inferError("Mod", attrs("fmod", 2), type("i32[2]"), type("i32[2]")));
    assertEquals("integer division by zero at output index [0]", evalError("Mod", Attributes.EMPTY, ints(DType.I64, 3), ints(DType.I64, 0)));
  }

  @Test
  void bitShiftOnUnsignedIntegers() {
    Tensor x = ints(DType.U8, 16, 4, 1, 255);
    Tensor y = ints(DType.U8, 1, 2, 8, 1);
    assertLongs(DType.U8, shape(4), new long[] {32, 16, 0, 254}, eval("BitShift", attrs("direction", "LEFT"), x, y));
    assertLongs(DType.U8, shape(4), new long[] {8, 1, 0, 127}, eval("BitShift", attrs("direction", "RIGHT"), x, y));
    // u64 shifts are logical, and shifting by 64 or more gives 0.
    assertLongs(DType.U64, shape(2), new long[] {Long.MAX_VALUE, 0},
        eval("BitShift", attrs("direction", "RIGHT"), ints(DType.U64, -1, -1), ints(DType.U64, 1, 64)));
    assertEquals("attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"UP\"",
        inferError("BitShift", attrs("direction", "UP"), type("u8[2]"), type("u8[2]")));
    assertEquals("input 0 must be an unsigned integer tensor, got i32[2]",
        inferError("BitShift", attrs("direction", "LEFT"), type("i32[2]"), type("i32[2]")));
    assertEquals(List.of("BitShift needs attribute 'direction' (string)"),
        NodeInference.checkApplication(schema("BitShift"), List.of(true, true), 1, Attributes.EMPTY));
  }

  @Test
  void powKeepsTheBaseType() {
    assertTensor(DType.F32, shape(3), new double[] {8, 9, 0.5}, eval("Pow", f32(2, 3, 4), f32(3, 2, -0.5f)));
    assertEquals("i64[N, 3]", inferText("Pow", "i64[N, 3]", "f32[3]"));
    assertEquals("f32[2]", inferText("Pow", "f32[2]", "i32[]"));
    // Integer base, real exponent: computed in double, truncated like Cast.
    assertLongs(DType.I64, shape(3), new long[] {1, 1, 27}, eval("Pow", ints(DType.I64, 2, 3, 9), f32(0.5f, 0.5f, 1.5f)));
    // Integer powers are exact beyond 2^53.
    assertLongs(DType.I64, shape(1), new long[] {4052555153018976267L}, eval("Pow", ints(DType.I64, 3), ints(DType.I64, 39)));
    assertLongs(DType.I32, shape(4), new long[] {0, 1, -1, 1},
        eval("Pow", ints(DType.I32, 2, 1, -1, -1), ints(DType.I64, -1, -5, -3, -2)));
    assertTensor(DType.F64, shape(2), new double[] {4, 0.25}, eval("Pow", f64(2, 2), ints(DType.I32, 2, -2)));
  }

  @Test
  void powOfIntegerZeroToANegativePowerIsAnError() {
    assertEquals(
        "integer 0 raised to the negative power -1 at output index [1]",
        evalError("Pow", Attributes.EMPTY, ints(DType.I32, 2, 0), ints(DType.I32, -1)));
    assertEquals("input 1 must be a numeric tensor, got bool[]", inferError("Pow", "f32[2]", "bool[]"));
  }

  @Test
  void variadicOperatorsFoldAnyNumberOfInputs() {
    Tensor a = f32(shape(2, 1), 1, 5);
    Tensor b = f32(4, 2, 3);
    Tensor c = Tensor.scalar(DType.F32, 2.5);
    assertTensor(DType.F32, shape(2, 3), new double[] {4, 2.5, 3, 5, 5, 5}, eval("Max", a, b, c));
    assertTensor(DType.F32, shape(2, 3), new double[] {1, 1, 1, 2.5, 2, 2.5}, eval("Min", a, b, c));
    assertTensor(DType.F32, shape(2, 3), new double[] {7.5, 5.5, 6.5, 11.5, 9.5, 10.5}, eval("Sum", a, b, c));
    assertTensor(DType.F32, shape(2), new double[] {3, 4}, eval("Mean", f32(1, 2), f32(3, 4), f32(5, 6)));
    assertTensor(DType.F32, shape(2), new double[] {1, 2}, eval("Sum", f32(1, 2)));
    assertEquals("f32[N, 3]", inferText("Max", "f32[N, 1]", "f32[3]", "f32[]"));
    // Unsigned maxima compare as unsigned: 2^64 - 1 > 1.
    assertLongs(DType.U64, shape(1), new long[] {-1}, eval("Max", ints(DType.U64, 1), ints(DType.U64, -1)));
    assertLongs(DType.I64, shape(2), new long[] {-3, 1}, eval("Min", ints(DType.I64, -3, 7), ints(DType.I64, 0, 1)));
  }

  @Test
  void variadicOperatorsCheckTheirInputs() {
    assertEquals("input 0 must be a floating-point tensor, got i32[2]", inferError("Sum", "i32[2]", "i32[2]"));
    assertEquals(
        "inputs 0 and 2 must have the same element type, got f32[2] and f64[2]",
        inferError("Max", "f32[2]", "f32[2]", "f64[2]"));
    assertEquals(
        List.of("Sum takes at least 1 input, got 0"),
        NodeInference.checkApplication(schema("Sum"), List.of(), 1, Attributes.EMPTY));
  }

  @Test
  void constantInputsAreFoldedAtInferenceTime() {
    NodeInference.Result r = inferResult("Add", Attributes.EMPTY, 1,
        List.of(Optional.of(type("i64[2]")), Optional.of(type("i64[]"))),
        List.of(Optional.of(ints(DType.I64, 1, 2)), Optional.of(Tensor.ofLongs(shape(), 10))));
    assertEquals(List.of(ints(DType.I64, 11, 12)), r.values().orElseThrow());
  }
}
