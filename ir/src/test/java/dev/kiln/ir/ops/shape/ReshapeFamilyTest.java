package dev.kiln.ir.ops.shape;

import static dev.kiln.ir.ops.shape.OpHarness.assertEvalError;
import static dev.kiln.ir.ops.shape.OpHarness.assertInferError;
import static dev.kiln.ir.ops.shape.OpHarness.attrs;
import static dev.kiln.ir.ops.shape.OpHarness.eval;
import static dev.kiln.ir.ops.shape.OpHarness.f32Type;
import static dev.kiln.ir.ops.shape.OpHarness.i64;
import static dev.kiln.ir.ops.shape.OpHarness.i64Type;
import static dev.kiln.ir.ops.shape.OpHarness.infer;
import static dev.kiln.ir.ops.shape.OpHarness.iota;
import static dev.kiln.ir.ops.shape.OpHarness.type;
import static dev.kiln.ir.ops.shape.OpHarness.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

/** Reshape, Flatten, Squeeze and Unsqueeze: views that keep the elements in order. */
class ReshapeFamilyTest {

  @Test
  void reshapeCopiesWithZeroAndInfersMinusOne() {
    Tensor out = eval("Reshape", attrs(), iota(2, 3, 4), i64(0, -1));
    assertEquals(iota(2, 12), out);
    assertEquals("f32[2, 12]", infer("Reshape", attrs(), f32Type(2, 3, 4), i64(0, -1)).toString());
    assertEquals("f32[4, 3, 2]", infer("Reshape", attrs(), f32Type(2, 3, 4), i64(4, -1, 2)).toString());
  }

  @Test
  void reshapeKeepsSymbolicDims() {
    // 0 copies the name; -1 recovers it when the other dims cancel.
    assertEquals("f32[N, 12]", infer("Reshape", attrs(), f32Type("N", 3, 4), i64(0, -1)).toString());
    assertEquals("f32[N, 12]", infer("Reshape", attrs(), f32Type("N", 3, 4), i64(-1, 12)).toString());
    assertEquals("f32[N, 3, 2, 2]",
        infer("Reshape", attrs(), f32Type("N", 3, 4), i64(0, 0, 2, 2)).toString());
    assertEquals("f32[2, N, 6]",
        infer("Reshape", attrs(), f32Type(2, "N", 6), i64(2, -1, 6)).toString());
    // 3N is not a dim Kiln can name.
    assertEquals("f32[?, 4]", infer("Reshape", attrs(), f32Type("N", 12), i64(-1, 4)).toString());
  }

  @Test
  void reshapeWithUnknownShapeHasTheRightRank() {
    assertEquals("f32[?, ?, ?]", infer("Reshape", attrs(), f32Type(2, 3, 4), i64Type(3)).toString());
  }

  @Test
  void reshapeAllowZeroMakesZeroARealSize() {
    var allowZero = with().put("allowzero", 1L).build();
    assertEquals("f32[3, 0]", infer("Reshape", allowZero, f32Type(0, 3), i64(3, 0)).toString());
    assertEquals(Tensor.zeros(DType.F32, 3, 0), eval("Reshape", allowZero, iota(0, 3), i64(3, 0)));
    // Without allowzero the 0 copies dim 1 (3), and 0 elements do not fill [3, 3].
    assertInferError(
        "cannot reshape input 0 of shape [0, 3] (0 elements) to [3, 3] (9 elements)",
        "Reshape", attrs(), f32Type(0, 3), i64(3, 0));
    assertInferError(
        "input 1 (shape) = [0, -1] has both 0 and -1, which allowzero=1 does not allow",
        "Reshape", allowZero, f32Type(0, 3), i64(0, -1));
    assertInferError(
        "attribute 'allowzero' must be 0 or 1, got 2",
        "Reshape", with().put("allowzero", 2L).build(), f32Type(0, 3), i64(0, -1));
  }

  @Test
  void reshapeOfEmptyTensors() {
    assertEquals("f32[0, 3]", infer("Reshape", attrs(), f32Type(0, 3), i64(-1, 3)).toString());
    assertEquals(Tensor.zeros(DType.F32, 3, 0, 1),
        eval("Reshape", attrs(), iota(0, 3), i64(3, -1, 1)));
    assertInferError(
        "cannot reshape input 0 of shape [0, 3] to [0, -1]: the -1 is ambiguous when another size is 0",
        "Reshape", attrs(), f32Type(0, 3), i64(0, -1));
  }

  @Test
  void reshapeRejectsBadShapes() {
    assertInferError("input 1 (shape) = [-1, -1] has more than one -1",
        "Reshape", attrs(), f32Type(2, 3), i64(-1, -1));
    assertInferError("cannot reshape input 0 of shape [2, 3] (6 elements) to [4, 2] (8 elements)",
        "Reshape", attrs(), f32Type(2, 3), i64(4, 2));
    assertInferError("cannot reshape input 0 of shape [2, 3] (6 elements) to [4, -1]: 6 is not a multiple of 4",
        "Reshape", attrs(), f32Type(2, 3), i64(4, -1));
    assertInferError("cannot reshape input 0 of shape [N, 6] to [N, 4]: the element counts differ",
        "Reshape", attrs(), f32Type("N", 6), i64(0, 4));
    assertInferError("input 1 (shape) = [2, -3] has invalid size -3 at index 1",
        "Reshape", attrs(), f32Type(2, 3), i64(2, -3));
    assertInferError("input 1 (shape) = [0, 0, 0] copies input dim 2 with 0, but input 0 has shape [2, 3]",
        "Reshape", attrs(), f32Type(2, 3), i64(0, 0, 0));
    assertInferError("input 1 (shape) must be an i64 tensor, got i32[2]",
        "Reshape", attrs(), f32Type(2, 3), type(DType.I32, 2));
    assertInferError("Reshape takes 2 inputs, got 1", "Reshape", attrs(), f32Type(2, 3));
    assertEvalError("cannot reshape input 0 of shape [2, 3] (6 elements) to [5] (5 elements)",
        "Reshape", attrs(), iota(2, 3), i64(5));
  }

  @Test
  void flattenSplitsTheDimsAtAxis() {
    assertEquals(iota(2, 12), eval("Flatten", attrs(), iota(2, 3, 4)));
    assertEquals("f32[6, 4]", infer("Flatten", with().put("axis", -1L).build(), f32Type(2, 3, 4)).toString());
    assertEquals("f32[1, 24]", infer("Flatten", with().put("axis", 0L).build(), f32Type(2, 3, 4)).toString());
    assertEquals("f32[24, 1]", infer("Flatten", with().put("axis", 3L).build(), f32Type(2, 3, 4)).toString());
    assertEquals("f32[N, 12]", infer("Flatten", attrs(), f32Type("N", 3, 4)).toString());
    assertEquals("f32[?, 4]", infer("Flatten", with().put("axis", 2L).build(), f32Type("N", 3, 4)).toString());
    assertEquals("f32[0, 3]", infer("Flatten", attrs(), f32Type(0, 3)).toString());
    assertInferError("attribute 'axis' = 4 is out of range [-3, 3] for input 0 f32[2, 3, 4]",
        "Flatten", with().put("axis", 4L).build(), f32Type(2, 3, 4));
  }

  @Test
  void squeezeRemovesGivenOrAllUnitDims() {
    assertEquals("f32[1, 3, 2]", infer("Squeeze", attrs(), f32Type(1, 3, 1, 2), i64(-2)).toString());
    assertEquals("f32[3, 1, 2]",
        infer("Squeeze", with().putInts("axes", 0).build(), f32Type(1, 3, 1, 2)).toString());
    assertEquals("f32[3, 2]", infer("Squeeze", attrs(), f32Type(1, 3, 1, 2)).toString());
    assertEquals("f32[3]", infer("Squeeze", attrs(), f32Type("N", 3), i64(0)).toString());
    assertEquals("f32[?, ?, ?]", infer("Squeeze", attrs(), f32Type(1, 3, 1, 2), i64Type(1)).toString());
    Tensor out = eval("Squeeze", attrs(), iota(1, 3, 1, 2), i64(0, -2));
    assertArrayEquals(new long[] {3, 2}, out.shape());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, out.toDoubleArray());
  }

  @Test
  void squeezeRejectsNonUnitAndBadAxes() {
    assertInferError("cannot squeeze axis 1 of input 0 f32[1, 3, 1, 2]: its size is 3, not 1",
        "Squeeze", attrs(), f32Type(1, 3, 1, 2), i64(1));
    assertInferError("input 1 (axes) = [0, 4]: axis 4 is out of range for rank 4",
        "Squeeze", attrs(), f32Type(1, 3, 1, 2), i64(0, 4));
    assertInferError("input 1 (axes) = [0, -4]: axis 0 is given more than once",
        "Squeeze", attrs(), f32Type(1, 3, 1, 2), i64(0, -4));
    assertInferError("Squeeze without axes needs a static input shape, got input 0 f32[N, 1]: the"
            + " output rank depends on whether N is 1; give the axes to squeeze",
        "Squeeze", attrs(), f32Type("N", 1));
    assertInferError("give the axes either as input 1 (axes) or attribute 'axes', not both",
        "Squeeze", with().putInts("axes", 0).build(), f32Type(1, 3), i64(0));
  }

  @Test
  void unsqueezeCountsAxesInTheOutput() {
    assertEquals("f32[1, 3, 4, 1]", infer("Unsqueeze", attrs(), f32Type(3, 4), i64(0, -1)).toString());
    assertEquals("f32[3, 4, 1]", infer("Unsqueeze", attrs(), f32Type(3, 4), i64(-1)).toString());
    assertEquals("f32[3, 1, 4]",
        infer("Unsqueeze", with().putInts("axes", 1).build(), f32Type(3, 4)).toString());
    assertEquals("f32[N, 1, 1]", infer("Unsqueeze", attrs(), f32Type("N"), i64(-1, 1)).toString());
    assertEquals("f32[?, ?, ?]", infer("Unsqueeze", attrs(), f32Type(3, 4), i64Type(1)).toString());
    assertEquals("i64[1]", infer("Unsqueeze", attrs(), i64Type(), i64(0)).toString());
    Tensor out = eval("Unsqueeze", attrs(), iota(2, 3), i64(1));
    assertEquals(iota(2, 1, 3), out);
    assertInferError("input 1 (axes) = [1, -3]: axis 1 is given more than once",
        "Unsqueeze", attrs(), f32Type(3, 4), i64(1, -3));
    assertInferError("input 1 (axes) = [2]: axis 2 is out of range for rank 2",
        "Unsqueeze", attrs(), f32Type(3), i64(2));
    assertInferError("Unsqueeze needs axes: input 1 (axes) or attribute 'axes'",
        "Unsqueeze", attrs(), f32Type(3));
  }
}
