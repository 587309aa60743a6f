package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.OpTesting.assertBools;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertClose;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertLongs;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertTensor;
import static dev.kiln.ir.ops.elementwise.OpTesting.attrs;
import static dev.kiln.ir.ops.elementwise.OpTesting.bools;
import static dev.kiln.ir.ops.elementwise.OpTesting.eval;
import static dev.kiln.ir.ops.elementwise.OpTesting.evalError;
import static dev.kiln.ir.ops.elementwise.OpTesting.f32;
import static dev.kiln.ir.ops.elementwise.OpTesting.f64;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferError;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferText;
import static dev.kiln.ir.ops.elementwise.OpTesting.ints;
import static dev.kiln.ir.ops.elementwise.OpTesting.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

/** The unary math operators: values checked by hand or against exactly known constants. */
class MathOpsTest {
  private static final double INF = Double.POSITIVE_INFINITY;
  private static final double NAN = Double.NaN;

  @Test
  void unaryInferenceKeepsShapeAndTypeIncludingSymbolicDims() {
    assertEquals("f32[N, 3, ?]", inferText("Sqrt", "f32[N, 3, ?]"));
    assertEquals("f16[]", inferText("Exp", "f16[]"));
    assertEquals("bool[N, 2]", inferText("IsNaN", "bf16[N, 2]"));
    assertEquals("i8[4]", inferText("Abs", "i8[4]"));
    assertEquals("bool[0, 3]", inferText("Not", "bool[0, 3]"));
  }

  @Test
  void floatOnlyOperatorsRejectIntegersNamingTheInput() {
    assertEquals("input 0 must be a floating-point tensor, got i32[2]", inferError("Sqrt", "i32[2]"));
    assertEquals("input 0 must be a floating-point tensor, got i64[N]", inferError("Log", "i64[N]"));
    assertEquals("input 0 must be a floating-point tensor, got bool[1]", inferError("IsNaN", "bool[1]"));
    assertEquals(
        "input 0 must be a signed numeric tensor (floating-point or signed integer), got u8[2]",
        inferError("Neg", "u8[2]"));
    assertEquals("input 0 must be a numeric tensor, got bool[2]", inferError("Abs", "bool[2]"));
    assertEquals("input 0 must be a bool tensor, got f32[2]", inferError("Not", "f32[2]"));
    // Evaluation rejects the same inputs with the same message.
    assertEquals(
        "input 0 must be a floating-point tensor, got i32[2]",
        evalError("Sqrt", Attributes.EMPTY, ints(DType.I32, 4, 9)));
  }

  @Test
  void arithmeticOnFloatsAndIntegers() {
    assertTensor(DType.F32, shape(3), new double[] {2, 1.5, 0}, eval("Sqrt", f32(4, 2.25f, 0)));
    assertTensor(DType.F32, shape(2), new double[] {NAN, -0.0}, eval("Sqrt", f32(-1, -0.0f)));
    assertTensor(DType.F32, shape(3), new double[] {0.5, -4, INF}, eval("Reciprocal", f32(2, -0.25f, 0)));
    assertTensor(DType.F32, shape(2), new double[] {3, 0}, eval("Abs", f32(-3, 0)));
    assertLongs(DType.I8, shape(3), new long[] {3, 3, -128}, eval("Abs", ints(DType.I8, -3, 3, -128)));
    // A u64 above 2^63 is its own absolute value (its bits read as a negative long).
    assertLongs(DType.U64, shape(1), new long[] {-5}, eval("Abs", ints(DType.U64, -5)));
    assertLongs(DType.I32, shape(3), new long[] {-7, 7, 0}, eval("Neg", ints(DType.I32, 7, -7, 0)));
    assertTensor(DType.F64, shape(2), new double[] {-1.5, 2}, eval("Neg", f64(1.5, -2)));
    assertLongs(DType.I64, shape(3), new long[] {-1, 0, 1}, eval("Sign", ints(DType.I64, -9, 0, 4)));
    assertLongs(DType.U64, shape(2), new long[] {1, 0}, eval("Sign", ints(DType.U64, -5, 0)));
    assertTensor(DType.F32, shape(4), new double[] {-1, 0, 1, NAN}, eval("Sign", f32(-2.5f, 0, 1e-30f, Float.NaN)));
  }

  @Test
  void exponentialsAndLogarithms() {
    assertTensor(DType.F64, shape(3), new double[] {1, Math.E, 0}, eval("Exp", f64(0, 1, -INF)));
    assertTensor(DType.F64, shape(4), new double[] {0, 1, -INF, NAN}, eval("Log", f64(1, Math.E, 0, -1)));
    // f32 results are the double result rounded once to float.
    assertTensor(DType.F32, shape(1), new double[] {(float) Math.E}, eval("Exp", f32(1)));
  }

  @Test
  void roundingRoundsHalvesToEven() {
    Tensor x = f32(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f);
    assertTensor(DType.F32, shape(7), new double[] {0, 2, 2, -0.0, -2, 2, -3}, eval("Round", x));
    assertTensor(DType.F32, shape(7), new double[] {0, 1, 2, -1, -2, 2, -3}, eval("Floor", x));
    assertTensor(DType.F32, shape(7), new double[] {1, 2, 3, -0.0, -1, 3, -2}, eval("Ceil", x));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(eval("Round", f32(-0.5f)).getDouble(0)));
  }

  @Test
  void erfMatchesKnownValuesOnBothSidesOfItsBranches() {
    // Expected values from mpmath at 120 bits; the series/continued-fraction switch is at 1.
    Tensor y = eval("Erf", f64(0, 0.1, 0.3, 0.5, 0.99999999, 1, 1.2, -1.5, 2, 2.2, 2.5, 3, 5, 7, INF, -INF, NAN));
    assertClose(
        new double[] {
          0, 0.1124629160182849, 0.3286267594591274, 0.5204998778130465, 0.8427007887986399,
          0.8427007929497149, 0.9103139782296353, -0.9661051464753108, 0.9953222650189527,
          0.9981371537020182, 0.999593047982555, 0.9999779095030014, 0.9999999999984626, 1, 1, -1,
          NAN
        },
        y,
        4);
    // ONNX defines Erf on integers too: the result truncates toward zero.
    assertLongs(DType.I32, shape(3), new long[] {0, 0, 0}, eval("Erf", ints(DType.I32, -3, 0, 3)));
  }

  @Test
  void trigonometricAndHyperbolicFunctions() {
    assertTensor(DType.F64, shape(3), new double[] {0, 1, 0}, eval("Sin", f64(0, Math.PI / 2, -0.0)));
    assertTensor(DType.F64, shape(2), new double[] {1, -1}, eval("Cos", f64(0, Math.PI)));
    assertClose(new double[] {1}, eval("Tan", f64(Math.PI / 4)), 2);
    assertTensor(DType.F64, shape(2), new double[] {Math.PI / 2, NAN}, eval("Asin", f64(1, 2)));
    assertTensor(DType.F64, shape(2), new double[] {Math.PI, 0}, eval("Acos", f64(-1, 1)));
    assertTensor(DType.F64, shape(2), new double[] {Math.PI / 4, -Math.PI / 2}, eval("Atan", f64(1, -INF)));
    assertTensor(DType.F64, shape(2), new double[] {0, INF}, eval("Sinh", f64(0, 1000)));
    assertTensor(DType.F64, shape(2), new double[] {1, INF}, eval("Cosh", f64(0, -1000)));
    assertClose(
        new double[] {0.881373587019543, -0.48121182505960347, 1e-10, 0, INF},
        eval("Asinh", f64(1, -0.5, 1e-10, 0, INF)),
        2);
    assertClose(new double[] {1.3169578969248166, 0, NAN}, eval("Acosh", f64(2, 1, 0.5)), 2);
    assertClose(new double[] {0.5493061443340548, -0.5493061443340548, INF, NAN}, eval("Atanh", f64(0.5, -0.5, 1, 2)), 2);
  }

  @Test
  void predicatesGiveBool() {
    assertBools(shape(4), eval("IsNaN", f32(Float.NaN, 1, Float.POSITIVE_INFINITY, 0)), true, false, false, false);
    Tensor x = f32(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 1e38f);
    assertBools(shape(4), eval("IsInf", x), true, true, false, false);
    assertBools(shape(4), eval("IsInf", attrs("detect_negative", 0), x), false, true, false, false);
    assertBools(shape(4), eval("IsInf", attrs("detect_positive", 0), x), true, false, false, false);
    assertBools(shape(3), eval("Not", bools(true, false, true)), false, true, false);
  }

  @Test
  void halfPrecisionResultsAreRoundedToNearestEven() {
    // sqrt(2) = 1.41421356...; f16 has a spacing of 2^-10 on [1, 2): 1448 * 2^-10 = 1.4140625.
    Tensor two = Tensor.ofDoubles(DType.F16, shape(1), 2);
    assertTensor(DType.F16, shape(1), new double[] {1.4140625}, eval("Sqrt", two));
    // bf16 has a spacing of 2^-7 on [1, 2): e = 2.718... becomes 348 * 2^-7 = 2.71875.
    Tensor one = Tensor.ofDoubles(DType.BF16, shape(1), 1);
    assertTensor(DType.BF16, shape(1), new double[] {2.71875}, eval("Exp", one));
    // Beyond the f16 range the result is infinite, not an exception.
    assertTensor(DType.F16, shape(1), new double[] {INF}, eval("Exp", Tensor.ofDoubles(DType.F16, shape(1), 12)));
  }

  @Test
  void emptyTensorsStayEmpty() {
    Tensor empty = Tensor.zeros(DType.F32, 0, 3);
    assertTensor(DType.F32, shape(0, 3), new double[0], eval("Tanh", empty));
    assertTensor(DType.BOOL, shape(0, 3), new double[0], eval("IsNaN", empty));
  }
}
