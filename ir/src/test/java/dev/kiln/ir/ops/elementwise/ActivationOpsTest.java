package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.OpTesting.assertClose;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertLongs;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertTensor;
import static dev.kiln.ir.ops.elementwise.OpTesting.attrs;
import static dev.kiln.ir.ops.elementwise.OpTesting.eval;
import static dev.kiln.ir.ops.elementwise.OpTesting.evalAll;
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

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Activations, Clip and PRelu. Expected values are exact or from mpmath/Python's math module. */
class ActivationOpsTest {

  @Test
  void reluOnFloatsAndSignedIntegers() {
    assertTensor(DType.F32, shape(2, 2), new double[] {0, 0, 2.5, 0}, eval("Relu", f32(shape(2, 2), -1, 0, 2.5f, -0.0f)));
    assertLongs(DType.I32, shape(3), new long[] {0, 4, 0}, eval("Relu", ints(DType.I32, -3, 4, Integer.MIN_VALUE)));
    assertEquals(
        "input 0 must be a signed numeric tensor (floating-point or signed integer), got u8[2]",
        inferError("Relu", "u8[2]"));
  }

  @Test
  void leakyReluUsesTheFloatDefaultAlpha() {
    assertEquals(Optional.of(Attribute.of(0.01f)), schema("LeakyRelu").attribute("alpha").get().defaultValue());
    // -2 * 0.01f is exact in double and rounds to the float -0.02f.
    assertTensor(DType.F32, shape(3), new double[] {-0.02f, 0, 3}, eval("LeakyRelu", f32(-2, 0, 3)));
    assertTensor(DType.F64, shape(2), new double[] {-0.5, 4}, eval("LeakyRelu", attrs("alpha", 0.25f), f64(-2, 4)));
    assertEquals("input 0 must be a floating-point tensor, got i32[2]", inferError("LeakyRelu", "i32[2]"));
  }

  @Test
  void sigmoidAndTanhSaturateWithoutOverflow() {
    assertClose(new double[] {0.5, 0.7310585786300049, 0, 1, 1 - 0.7310585786300049}, eval("Sigmoid", f64(0, 1, -1000, 1000, -1)), 2);
    assertTensor(DType.F64, shape(3), new double[] {0, 1, -1}, eval("Tanh", f64(0, 1000, -1000)));
  }

  @Test
  void geluExactAndTanhApproximation() {
    assertEquals("none", ((Attribute.StringAttr) schema("Gelu").attribute("approximate").get().defaultValue().get()).value());
    // Exact Gelu(1) = Phi(1), the standard normal CDF at 1.
    assertClose(new double[] {0, 0.8413447460685429, -0.15426876936299344}, eval("Gelu", f64(0, 1, -0.5)), 4);
    assertClose(
        new double[] {0, 0.8411919906082768, -0.15428599017485606},
        eval("Gelu", attrs("approximate", "tanh"), f64(0, 1, -0.5)),
        4);
    assertEquals("f16[N, 8]", inferText("Gelu", "f16[N, 8]"));
  }

  @Test
  void geluRejectsUnknownApproximations() {
    String expected = "attribute 'approximate' must be \"none\" or \"tanh\", got \"fast\"";
    assertEquals(expected, inferError("Gelu", attrs("approximate", "fast"), type("f32[2]")));
    assertEquals(expected, evalError("Gelu", attrs("approximate", "fast"), f32(1, 2)));
  }

  @Test
  void exponentialLinearUnits() {
    assertClose(new double[] {2, 0, -0.6321205588285577}, eval("Elu", f64(2, 0, -1)), 2);
    assertClose(new double[] {-0.6321205588285577 / 2}, eval("Elu", attrs("alpha", 0.5f), f64(-1)), 2);
    // Selu's defaults are floats; Python with the same float32 constants gives -1.1113307412864784.
    assertClose(new double[] {-1.1113307412864784, 2 * (double) 1.05070102214813232421875f}, eval("Selu", f64(-1, 2)), 4);
    // Celu with alpha 2: 2 (e^(-1/2) - 1).
    assertClose(new double[] {-0.7869386805747332, 3}, eval("Celu", attrs("alpha", 2.0f), f64(-1, 3)), 2);
  }

  @Test
  void piecewiseLinearActivations() {
    // HardSigmoid: max(0, min(1, 0.2x + 0.5)) with float alpha and beta.
    assertTensor(DType.F32, shape(4), new double[] {0, 0.5f, 1, (float) (0.2f * 1.0 + 0.5)}, eval("HardSigmoid", f32(-3, 0, 3, 1)));
    assertTensor(DType.F32, shape(2), new double[] {0.75, 1}, eval("HardSigmoid", attrs("alpha", 0.5f, "beta", 0.25f), f32(1, 2)));
    // HardSwish: x * max(0, min(1, x/6 + 1/2)).
    assertTensor(DType.F64, shape(4), new double[] {0, 0, 1 * (1.0 / 6 + 0.5), 4}, eval("HardSwish", f64(-3, 0, 1, 4)));
    assertTensor(DType.F32, shape(3), new double[] {0, 0, 3}, eval("ThresholdedRelu", f32(-1, 1, 3)));
    assertTensor(DType.F32, shape(2), new double[] {0, 2.5}, eval("ThresholdedRelu", attrs("alpha", 2.0f), f32(2, 2.5f)));
  }

  @Test
  void smoothActivations() {
    assertClose(new double[] {0.6931471805599453, 1.3132616875182228, 1000, 0}, eval("Softplus", f64(0, 1, 1000, -1000)), 2);
    assertTensor(DType.F64, shape(3), new double[] {0, 0.5, -0.75}, eval("Softsign", f64(0, 1, -3)));
    assertClose(new double[] {0, 0.8650983882673103}, eval("Mish", f64(0, 1)), 4);
  }

  @Test
  void shrinkZeroesTheBandAroundZero() {
    Tensor x = f32(-2, -0.5f, 0, 0.5f, 2);
    assertTensor(DType.F32, shape(5), new double[] {-2, 0, 0, 0, 2}, eval("Shrink", x));
    assertTensor(DType.F32, shape(5), new double[] {-1.5f, 0, 0, 0, 1.5f},
        eval("Shrink", attrs("bias", 0.5f, "lambd", 1.0f), x));
  }

  @Test
  void clipWithBothBoundsOneBoundOrNone() {
    Tensor x = f32(-2, 0.5f, 3, Float.NaN);
    Tensor lo = Tensor.scalar(DType.F32, -1);
    Tensor hi = Tensor.scalar(DType.F32, 1);
    assertTensor(DType.F32, shape(4), new double[] {-1, 0.5, 1, Double.NaN}, eval("Clip", x, lo, hi));
    assertTensor(DType.F32, shape(4), new double[] {-2, 0.5, 3, Double.NaN}, eval("Clip", x));
    assertTensor(DType.F32, shape(4), new double[] {-1, 0.5, 3, Double.NaN}, eval("Clip", x, lo));
    // Only max: the min slot is absent.
    List<Tensor> onlyMax = evalAll("Clip", Attributes.EMPTY, 1, List.of(Optional.of(x), Optional.empty(), Optional.of(hi)));
    assertTensor(DType.F32, shape(4), new double[] {-2, 0.5, 1, Double.NaN}, onlyMax.getFirst());
    assertEquals(
        type("f32[N, 4]"),
        inferResult("Clip", Attributes.EMPTY, 1,
            List.of(Optional.of(type("f32[N, 4]")), Optional.empty(), Optional.of(type("f32[]"))),
            List.of(Optional.empty(), Optional.empty(), Optional.empty())).types().getFirst());
    // When min > max every element becomes max, as the ONNX spec says.
    assertTensor(DType.F32, shape(4), new double[] {-1, -1, -1, Double.NaN}, eval("Clip", x, hi, lo));
  }

  @Test
  void clipOnIntegers() {
    Tensor x = ints(DType.I64, -5, 0, 5, 100);
    assertLongs(DType.I64, shape(4), new long[] {-2, 0, 5, 5}, eval("Clip", x, Tensor.ofLongs(shape(), -2), Tensor.ofLongs(shape(1), 5)));
    // u8 values are ordered as unsigned.
    Tensor u = ints(DType.U8, 10, 200, 255);
    assertLongs(DType.U8, shape(3), new long[] {100, 200, 250},
        eval("Clip", u, Tensor.ofLongs(DType.U8, shape(), 100), Tensor.ofLongs(DType.U8, shape(), 250)));
  }

  @Test
  void clipBoundsMustBeScalarsOfTheInputType() {
    assertEquals("input 1 (min) must be a scalar, got f32[2]", inferError("Clip", "f32[3]", "f32[2]"));
    assertEquals("input 2 (max) must be a scalar, got f32[N]", inferError("Clip", "f32[3]", "f32[]", "f32[N]"));
    assertEquals("inputs 0 and 1 must have the same element type, got f32[3] and f64[]", inferError("Clip", "f32[3]", "f64[]"));
  }

  @Test
  void preluBroadcastsTheSlopeToX() {
    Tensor x = f32(shape(2, 3), -1, 2, -3, 4, -5, 6);
    Tensor slope = f32(0.5f, 1, 2);
    assertTensor(DType.F32, shape(2, 3), new double[] {-0.5, 2, -6, 4, -5, 6}, eval("PRelu", x, slope));
    assertTensor(DType.F32, shape(2, 3), new double[] {-0.25, 2, -0.75, 4, -1.25, 6}, eval("PRelu", x, Tensor.scalar(DType.F32, 0.25)));
    assertLongs(DType.I32, shape(2), new long[] {-6, 4}, eval("PRelu", ints(DType.I32, -2, 4), ints(DType.I32, 3)));
    assertEquals("f32[N, 3, 8]", inferText("PRelu", "f32[N, 3, 8]", "f32[3, 1]"));
    assertEquals("f32[N, C]", inferText("PRelu", "f32[N, C]", "f32[C]"));
  }

  @Test
  void preluRejectsASlopeThatWouldGrowX() {
    assertEquals(
        "input 1 (slope) of shape [4] cannot be broadcast to input 0 (X) of shape [2, 3]",
        inferError("PRelu", "f32[2, 3]", "f32[4]"));
    assertEquals(
        "input 1 (slope) of shape [2, 2, 3] cannot be broadcast to input 0 (X) of shape [2, 3]",
        inferError("PRelu", "f32[2, 3]", "f32[2, 2, 3]"));
    assertEquals(
        "input 1 (slope) of shape [2, 3] cannot be broadcast to input 0 (X) of shape [1, 3]",
        evalError("PRelu", Attributes.EMPTY, f32(shape(1, 3), 1, 2, 3), f32(shape(2, 3), 1, 2, 3, 4, 5, 6)));
  }
}
