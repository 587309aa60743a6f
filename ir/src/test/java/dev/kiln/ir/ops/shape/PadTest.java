package dev.kiln.ir.ops.shape;

import static dev.kiln.ir.ops.shape.OpHarness.assertInferError;
import static dev.kiln.ir.ops.shape.OpHarness.attrs;
import static dev.kiln.ir.ops.shape.OpHarness.eval;
import static dev.kiln.ir.ops.shape.OpHarness.f32;
import static dev.kiln.ir.ops.shape.OpHarness.f32Type;
import static dev.kiln.ir.ops.shape.OpHarness.i64;
import static dev.kiln.ir.ops.shape.OpHarness.i64Type;
import static dev.kiln.ir.ops.shape.OpHarness.infer;
import static dev.kiln.ir.ops.shape.OpHarness.iota;
import static dev.kiln.ir.ops.shape.OpHarness.shape;
import static dev.kiln.ir.ops.shape.OpHarness.with;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Pad in its four modes, with negative pads (cropping) and the opset 18 axes input. */
class PadTest {
  private static final Tensor ONNX_EXAMPLE = f32(shape(3, 2), 1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f);
  private static final Tensor ROW = f32(shape(4), 1, 2, 3, 4);

  private static Attributes mode(String mode) {
    return with().put("mode", mode).build();
  }

  @Test
  void constantModePadsWithZeroOrTheGivenValue() {
    // pads = [x1_begin, x2_begin, x1_end, x2_end]
    Tensor x = f32(shape(2, 2), 1, 2, 3, 4);
    assertEquals(f32(shape(3, 3), 0, 0, 0, 1, 2, 0, 3, 4, 0), eval("Pad", attrs(), x, i64(1, 0, 0, 1)));
    assertEquals(f32(shape(3, 3), 9, 9, 9, 1, 2, 9, 3, 4, 9),
        eval("Pad", attrs(), x, i64(1, 0, 0, 1), f32(shape(), 9)));
  }

  @Test
  void reflectModeFollowsTheOnnxExample() {
    assertEquals(
        f32(shape(3, 4), 1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f),
        eval("Pad", mode("reflect"), ONNX_EXAMPLE, i64(0, 2, 0, 0)));
    assertEquals(f32(shape(9), 3, 2, 1, 2, 3, 4, 3, 2, 1), eval("Pad", mode("reflect"), ROW, i64(2, 3)));
    // Wider than the axis: the reflection keeps bouncing (period 2 * (3 - 1)).
    assertEquals(f32(shape(8), 2, 1, 2, 3, 2, 1, 2, 3),
        eval("Pad", mode("reflect"), f32(shape(3), 1, 2, 3), i64(5, 0)));
    assertEquals(f32(shape(3), 7, 7, 7), eval("Pad", mode("reflect"), f32(shape(1), 7), i64(1, 1)));
  }

  @Test
  void edgeModeFollowsTheOnnxExample() {
    assertEquals(
        f32(shape(3, 4), 1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f),
        eval("Pad", mode("edge"), ONNX_EXAMPLE, i64(0, 2, 0, 0)));
  }

  @Test
  void wrapModeIsPeriodic() {
    assertEquals(f32(shape(7), 3, 4, 1, 2, 3, 4, 1), eval("Pad", mode("wrap"), ROW, i64(2, 1)));
  }

  @Test
  void negativePadsCropFirst() {
    assertEquals(f32(shape(2), 2, 3), eval("Pad", attrs(), ROW, i64(-1, -1)));
    assertEquals(f32(shape(5), 2, 3, 4, 3, 2), eval("Pad", mode("reflect"), ROW, i64(-1, 2)));
    assertEquals(f32(shape(5), 3, 2, 1, 2, 3), eval("Pad", mode("reflect"), ROW, i64(2, -1)));
    assertEquals(f32(shape(4), 1, 1, 1, 2), eval("Pad", mode("edge"), ROW, i64(2, -2)));
    assertEquals("f32[0]", infer("Pad", attrs(), f32Type(4), i64(-2, -2)).toString());
  }

  @Test
  void axesInputSelectsPaddedAxes() {
    assertEquals(f32(shape(2, 5), 0, 0, 1, 2, 0, 0, 3, 4, 5, 0),
        eval("Pad", attrs(), iota(2, 3), i64(1, 1), null, i64(-1)));
    assertEquals("f32[N, 5]", infer("Pad", attrs(), f32Type("N", 3), i64(1, 1), null, i64(1)).toString());
    assertEquals("f32[N, ?]", infer("Pad", attrs(), f32Type("N", 3), i64Type(2), null, i64(1)).toString());
    assertEquals("f32[?, ?]", infer("Pad", attrs(), f32Type("N", 3), i64(1, 1), null, i64Type(1)).toString());
    assertEquals("f32[?, 4]", infer("Pad", attrs(), f32Type("N", 3), i64(1, 0, 0, 1)).toString());
  }

  @Test
  void padsOfEmptyTensors() {
    assertEquals(f32(shape(1, 3), 5, 5, 5), eval("Pad", attrs(), iota(0, 3), i64(1, 0, 0, 0), f32(shape(), 5)));
    assertInferError("cannot pad an empty axis 0 in mode 'edge'",
        "Pad", mode("edge"), f32Type(0, 3), i64(1, 0, 0, 0));
  }

  @Test
  void rejectsBadPads() {
    assertInferError("input 1 (pads) = [-3, -2] crops axis 0 of size 4 by more than its size",
        "Pad", attrs(), f32Type(4), i64(-3, -2));
    assertInferError("input 1 (pads) i64[2] must have 2 values per padded axis (4), got 2",
        "Pad", attrs(), f32Type(2, 2), i64(1, 1));
    assertInferError("attribute 'mode' must be one of [constant, reflect, edge, wrap], got 'mirror'",
        "Pad", mode("mirror"), f32Type(2), i64(1, 1));
    assertInferError("input 2 (constant_value) must be an f32 tensor, got i64[]",
        "Pad", attrs(), f32Type(2), i64(1, 1), OpHarness.i64Scalar(0));
  }
}
