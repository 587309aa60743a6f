package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.OpTesting.assertBools;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertLongs;
import static dev.kiln.ir.ops.elementwise.OpTesting.assertTensor;
import static dev.kiln.ir.ops.elementwise.OpTesting.attrs;
import static dev.kiln.ir.ops.elementwise.OpTesting.bools;
import static dev.kiln.ir.ops.elementwise.OpTesting.eval;
import static dev.kiln.ir.ops.elementwise.OpTesting.evalAll;
import static dev.kiln.ir.ops.elementwise.OpTesting.evalError;
import static dev.kiln.ir.ops.elementwise.OpTesting.f32;
import static dev.kiln.ir.ops.elementwise.OpTesting.f64;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferError;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferResult;
import static dev.kiln.ir.ops.elementwise.OpTesting.infer;
import static dev.kiln.ir.ops.elementwise.OpTesting.inferText;
import static dev.kiln.ir.ops.elementwise.OpTesting.ints;
import static dev.kiln.ir.ops.elementwise.OpTesting.schema;
import static dev.kiln.ir.ops.elementwise.OpTesting.shape;
import static dev.kiln.ir.ops.elementwise.OpTesting.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Cast, Dropout and Identity. */
class CastDropoutIdentityTest {
  private static final int ONNX_F32 = 1;
  private static final int ONNX_U8 = 2;
  private static final int ONNX_I32 = 6;
  private static final int ONNX_I64 = 7;
  private static final int ONNX_BOOL = 9;
  private static final int ONNX_F16 = 10;
  private static final int ONNX_F64 = 11;
  private static final int ONNX_BF16 = 16;

  private static Tensor cast(int to, Tensor x) {
    return eval("Cast", attrs("to", to), x);
  }

  @Test
  void castInfersTheTargetTypeFromItsOnnxCode() {
    assertEquals(type("i64[N, 3]"), infer("Cast", attrs("to", ONNX_I64), type("f32[N, 3]")));
    assertEquals(type("bf16[]"), infer("Cast", attrs("to", ONNX_BF16, "saturate", 1), type("u8[]")));
  }

  @Test
  void castRejectsUnknownCodesAndAMissingTarget() {
    String supported = "supported: 1 (f32), 2 (u8), 3 (i8), 4 (u16), 5 (i16), 6 (i32), 7 (i64), 9 (bool), "
        + "10 (f16), 11 (f64), 12 (u32), 13 (u64), 16 (bf16)";
    assertEquals(
        "attribute 'to' is 8, which is not an ONNX data type code Kiln supports; " + supported,
        inferError("Cast", attrs("to", 8), type("f32[2]")));
    assertEquals(
        "attribute 'to' is 99, which is not an ONNX data type code Kiln supports; " + supported,
        evalError("Cast", attrs("to", 99), f32(1)));
    assertEquals(
        List.of("Cast needs attribute 'to' (int)"),
        NodeInference.checkApplication(schema("Cast"), List.of(true), 1, Attributes.EMPTY));
  }

  @Test
  void realsToIntegersTruncateTowardZero() {
    assertLongs(DType.I32, shape(5), new long[] {1, -1, 0, 0, 2}, cast(ONNX_I32, f32(1.9f, -1.9f, 0.5f, -0.5f, 2)));
    assertLongs(DType.I64, shape(2), new long[] {3, -3}, cast(ONNX_I64, f64(3.999, -3.999)));
  }

  @Test
  void integersToNarrowerIntegersKeepTheLowBits() {
    assertLongs(DType.U8, shape(3), new long[] {44, 255, 0}, cast(ONNX_U8, ints(DType.I64, 300, -1, 256)));
    assertLongs(DType.I64, shape(1), new long[] {255}, cast(ONNX_I64, ints(DType.U8, 255)));
  }

  @Test
  void toAndFromBool() {
    assertBools(shape(5), cast(ONNX_BOOL, f32(0, -0.0f, 2, Float.NaN, -1e-30f)), false, false, true, true, true);
    assertBools(shape(3), cast(ONNX_BOOL, ints(DType.I32, 0, 7, -1)), false, true, true);
    assertTensor(DType.F32, shape(2), new double[] {1, 0}, cast(ONNX_F32, bools(true, false)));
  }

  @Test
  void halfPrecisionTargetsRoundToNearestEven() {
    // f16 has 11 significant bits: 2049 is a tie between 2048 and 2050 and goes to the even 2048.
    assertTensor(DType.F16, shape(4), new double[] {2048, 2052, 2048, Double.POSITIVE_INFINITY},
        cast(ONNX_F16, ints(DType.I32, 2049, 2051, 2048, 70000)));
    // 1 + 2^-11 is a tie (to 1), 1 + 3 * 2^-11 one too (to 1 + 2^-9, whose last bit is even).
    assertTensor(DType.F16, shape(2), new double[] {1, 1 + 0x1p-9},
        cast(ONNX_F16, f32(1 + 0x1p-11f, 1 + 3 * 0x1p-11f)));
    // bf16 has 8 significant bits.
    assertTensor(DType.BF16, shape(2), new double[] {1, 1 + 0x1p-6}, cast(ONNX_BF16, f64(1 + 0x1p-8, 1 + 3 * 0x1p-8)));
    // Widening is exact.
    assertTensor(DType.F64, shape(1), new double[] {1 + 0x1p-9}, cast(ONNX_F64, Tensor.ofDoubles(DType.F16, shape(1), 1 + 0x1p-9)));
  }

  @Test
  void integersToF32RoundOnce() {
    // 2^60 + 2^36 + 1 is just above a tie between floats; via double it would become the tie
    // and round to 2^60.
    long v = (1L << 60) + (1L << 36) + 1;
    assertTensor(DType.F32, shape(1), new double[] {(double) ((1L << 60) + (1L << 37))}, cast(ONNX_F32, ints(DType.I64, v)));
    // u64 reads as unsigned.
    assertTensor(DType.F64, shape(1), new double[] {0x1p64}, cast(ONNX_F64, ints(DType.U64, -1)));
  }

  @Test
  void castToTheSameTypeCopiesBits() {
    Tensor x = f32(Float.intBitsToFloat(0x7fc01234), -0.0f);
    assertEquals(x, cast(ONNX_F32, x));
  }

  @Test
  void castLikeTakesTheSecondInputsType() {
    assertEquals("f16[N, 2]", inferText("CastLike", "i64[N, 2]", "f16[]"));
    assertLongs(DType.I32, shape(2), new long[] {1, -2}, eval("CastLike", f32(1.5f, -2.5f), ints(DType.I32, 0)));
  }

  @Test
  void identityPassesAnyTensorThrough() {
    Tensor x = ints(DType.U64, -1, 3);
    assertSame(x, eval("Identity", x));
    assertEquals("bool[N, ?]", inferText("Identity", "bool[N, ?]"));
  }

  @Test
  void dropoutAtInferenceIsIdentityWithAnAllTrueMask() {
    Tensor x = f32(shape(2, 2), 1, -2, 3, 4);
    assertSame(x, eval("Dropout", x));
    List<Tensor> both = evalAll("Dropout", attrs("seed", 42), 2,
        List.of(Optional.of(x), Optional.of(Tensor.scalar(DType.F32, 0.5)), Optional.of(Tensor.ofBooleans(shape(), false))));
    assertSame(x, both.get(0));
    assertBools(shape(2, 2), both.get(1), true, true, true, true);
    NodeInference.Result r = inferResult("Dropout", Attributes.EMPTY, 2,
        List.of(Optional.of(type("f16[N, 4]")), Optional.of(type("f32[]")), Optional.of(type("bool[]"))),
        List.of(Optional.empty(), Optional.empty(), Optional.of(Tensor.ofBooleans(shape(), false))));
    assertEquals(List.of(type("f16[N, 4]"), type("bool[N, 4]")), r.types());
  }

  @Test
  void dropoutRefusesTrainingMode() {
    List<Optional<TensorType>> types = List.of(Optional.of(type("f32[2]")), Optional.empty(), Optional.of(type("bool[]")));
    String message = assertThrows(OpException.class, () -> inferResult("Dropout", Attributes.EMPTY, 1, types,
        List.of(Optional.empty(), Optional.empty(), Optional.of(Tensor.ofBooleans(shape(), true))))).getMessage();
    assertEquals(
        "input 2 (training_mode) is true, but Kiln compiles models for inference only;"
            + " export the model in inference (eval) mode",
        message);
    // A run-time training_mode is checked when its value is known (here: at evaluation).
    assertEquals(List.of(type("f32[2]")), inferResult("Dropout", Attributes.EMPTY, 1, types,
        List.of(Optional.empty(), Optional.empty(), Optional.empty())).types());
    assertEquals(
        "input 2 (training_mode) is true, but Kiln compiles models for inference only;"
            + " export the model in inference (eval) mode",
        evalError("Dropout", Attributes.EMPTY, f32(1), Tensor.scalar(DType.F32, 0.1), Tensor.ofBooleans(shape(), true)));
  }

  @Test
  void trainingModeWithRatioZeroDropsNothing() {
    Tensor x = f32(1, 2);
    List<Tensor> out = evalAll("Dropout", Attributes.EMPTY, 2, List.of(Optional.of(x),
        Optional.of(Tensor.scalar(DType.F32, 0)), Optional.of(Tensor.ofBooleans(shape(), true))));
    assertSame(x, out.get(0));
    assertBools(shape(2), out.get(1), true, true);
    // Without a ratio, the default 0.5 drops at random.
    assertEquals(
        "input 2 (training_mode) is true, but Kiln compiles models for inference only;"
            + " export the model in inference (eval) mode",
        assertThrows(OpException.class, () -> evalAll("Dropout", Attributes.EMPTY, 1,
            List.of(Optional.of(x), Optional.empty(), Optional.of(Tensor.ofBooleans(shape(),
                true))))).getMessage());
  }

  @Test
  void dropoutChecksRatioAndTypes() {
    assertEquals("input 1 (ratio) must be in [0, 1), got 1.5",
        evalError("Dropout", Attributes.EMPTY, f32(1), Tensor.scalar(DType.F32, 1.5)));
    assertEquals("input 1 (ratio) must be a scalar, got f32[1]", inferError("Dropout", "f32[2]", "f32[1]"));
    assertEquals("input 0 must be a floating-point tensor, got i64[2]", inferError("Dropout", "i64[2]"));
  }
}
