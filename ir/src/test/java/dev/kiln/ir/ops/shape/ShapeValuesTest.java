package dev.kiln.ir.ops.shape;

import static dev.kiln.ir.ops.shape.OpHarness.assertInferError;
import static dev.kiln.ir.ops.shape.OpHarness.attrs;
import static dev.kiln.ir.ops.shape.OpHarness.eval;
import static dev.kiln.ir.ops.shape.OpHarness.f32;
import static dev.kiln.ir.ops.shape.OpHarness.f32Type;
import static dev.kiln.ir.ops.shape.OpHarness.i64;
import static dev.kiln.ir.ops.shape.OpHarness.i64Scalar;
import static dev.kiln.ir.ops.shape.OpHarness.i64Type;
import static dev.kiln.ir.ops.shape.OpHarness.infer;
import static dev.kiln.ir.ops.shape.OpHarness.inferAll;
import static dev.kiln.ir.ops.shape.OpHarness.iota;
import static dev.kiln.ir.ops.shape.OpHarness.shape;
import static dev.kiln.ir.ops.shape.OpHarness.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Operators that compute small tensors: Shape, Size, Constant, ConstantOfShape, Range. */
class ShapeValuesTest {

  private static Optional<Tensor> folded(String op, Attributes attrs, Object... inputs) {
    NodeInference.Result r = inferAll(op, attrs, 1, inputs);
    return r.values().map(v -> v.get(0));
  }

  @Test
  void shapeFoldsStaticShapesWithoutTheInputValue() {
    assertEquals(Optional.of(i64(2, 3, 4)), folded("Shape", attrs(), f32Type(2, 3, 4)));
    assertEquals(Optional.of(i64(3, 4)), folded("Shape", with().put("start", 1L).build(), f32Type(2, 3, 4)));
    assertEquals(Optional.of(i64(2, 3)), folded("Shape", with().put("end", -1L).build(), f32Type(2, 3, 4)));
    assertEquals(Optional.of(i64(4)), folded("Shape", with().put("start", -1L).build(), f32Type(2, 3, 4)));
    assertEquals(Optional.of(i64()), folded("Shape", with().put("start", 5L).build(), f32Type(2, 3, 4)));
    assertEquals(Optional.of(i64(3)),
        folded("Shape", with().put("start", -10L).put("end", -2L).build(), f32Type(3, 2, 4)));
    assertEquals(Optional.of(i64()), folded("Shape", attrs(), f32Type()));
  }

  @Test
  void shapeOfSymbolicDimsIsNotFolded() {
    assertEquals(Optional.empty(), folded("Shape", attrs(), f32Type("N", 3, 4)));
    assertEquals("i64[3]", infer("Shape", attrs(), f32Type("N", 3, 4)).toString());
    // The static part of a symbolic shape still folds.
    assertEquals(Optional.of(i64(3, 4)), folded("Shape", with().put("start", 1L).build(), f32Type("N", 3, 4)));
    assertEquals(i64(2, 0), eval("Shape", attrs(), iota(2, 0)));
  }

  @Test
  void sizeCountsElements() {
    assertEquals(Optional.of(i64Scalar(6)), folded("Size", attrs(), f32Type(2, 3)));
    assertEquals(Optional.empty(), folded("Size", attrs(), f32Type("N", 3)));
    assertEquals("i64[]", infer("Size", attrs(), f32Type("N", 3)).toString());
    assertEquals(i64Scalar(0), eval("Size", attrs(), iota(0, 3)));
  }

  @Test
  void constantOfShapeFillsWithValue() {
    assertEquals(Tensor.zeros(DType.F32, 2, 3), eval("ConstantOfShape", attrs(), i64(2, 3)));
    var seven = with().put("value", Attribute.of(Tensor.ofLongs(shape(1), 7))).build();
    assertEquals(Tensor.ofLongs(shape(2, 2), 7, 7, 7, 7), eval("ConstantOfShape", seven, i64(2, 2)));
    assertEquals(Tensor.ofLongs(shape(), 7), eval("ConstantOfShape", seven, i64()));
    assertEquals("f32[?, ?]", infer("ConstantOfShape", attrs(), i64Type(2)).toString());
    assertEquals("i64[0, 4]", infer("ConstantOfShape", seven, i64(0, 4)).toString());
    assertInferError("attribute 'value' must hold one element, got f32[2]",
        "ConstantOfShape", with().put("value", Attribute.of(iota(2))).build(), i64(2));
    assertInferError("input 0 (shape) = [2, -1] has a negative size", "ConstantOfShape", attrs(), i64(2, -1));
    assertInferError(
        "input 0 (shape) must have a static length because it decides the output rank, got i64[N]",
        "ConstantOfShape", attrs(), i64Type("N"));
  }

  @Test
  void constantTakesExactlyOneValueAttribute() {
    assertEquals(i64(1, 2, 3), eval("Constant", with().putInts("value_ints", 1, 2, 3).build()));
    assertEquals(f32(shape(), 2.5f), eval("Constant", with().put("value_float", 2.5f).build()));
    assertEquals(f32(shape(2), 1, 2), eval("Constant", with().putFloats("value_floats", 1, 2).build()));
    assertEquals(i64Scalar(-4), eval("Constant", with().put("value_int", -4L).build()));
    Tensor t = iota(2, 2);
    assertEquals(t, eval("Constant", with().put("value", Attribute.of(t)).build()));
    assertEquals(Optional.of(t), folded("Constant", with().put("value", Attribute.of(t)).build()));
    assertInferError(
        "Constant needs exactly one of the attributes value, value_float, value_floats, value_int,"
            + " value_ints, got none",
        "Constant", attrs());
    assertInferError(
        "Constant needs exactly one of the attributes value, value_float, value_floats, value_int,"
            + " value_ints, got value_float, value_int",
        "Constant", with().put("value_float", 1f).put("value_int", 1L).build());
    assertInferError(
        "attribute 'value_string' is not supported: Kiln tensors have no string element type",
        "Constant", with().put("value_string", "hi").build());
  }

  @Test
  void rangeCountsByCeiling() {
    assertEquals(i64(0, 3, 6, 9), eval("Range", attrs(), i64Scalar(0), i64Scalar(10), i64Scalar(3)));
    assertEquals(i64(10, 8, 6), eval("Range", attrs(), i64Scalar(10), i64Scalar(4), i64Scalar(-2)));
    assertEquals(i64(), eval("Range", attrs(), i64Scalar(5), i64Scalar(1), i64Scalar(1)));
    Tensor out = eval("Range", attrs(),
        Tensor.scalar(DType.F32, 1), Tensor.scalar(DType.F32, 2), Tensor.scalar(DType.F32, 0.25));
    assertEquals(f32(shape(4), 1, 1.25f, 1.5f, 1.75f), out);
    Tensor i32 = eval("Range", attrs(),
        Tensor.ofLongs(DType.I32, shape(), 1), Tensor.ofLongs(DType.I32, shape(), 4),
        Tensor.ofLongs(DType.I32, shape(), 1));
    assertEquals(Tensor.ofLongs(DType.I32, shape(3), 1, 2, 3), i32);
    assertEquals("i64[?]", infer("Range", attrs(), i64Type(), i64Scalar(4), i64Scalar(1)).toString());
    assertEquals("i64[4]", infer("Range", attrs(), i64Scalar(0), i64Scalar(4), i64Scalar(1)).toString());
    assertInferError("input 2 (delta) must not be 0",
        "Range", attrs(), i64Scalar(0), i64Scalar(4), i64Scalar(0));
    assertInferError("input 1 (limit) must have the type of input 0 (start) i64[], got f32[]",
        "Range", attrs(), i64Scalar(0), f32Type(), i64Scalar(1));
    assertInferError("input 0 (start) must be a scalar, got i64[2]",
        "Range", attrs(), i64(0, 1), i64Scalar(4), i64Scalar(1));
  }

  @Test
  void everyOperatorIsRegisteredOnce() {
    List<String> names = ShapeOps.all().stream().map(op -> op.name()).toList();
    assertEquals(names.stream().distinct().toList(), names);
    assertTrue(names.containsAll(List.of("Reshape", "Shape", "Gather", "Unsqueeze", "Concat", "Pad")));
  }
}
