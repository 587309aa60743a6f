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
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

/** Slice: negative indices, clamping, huge ends and negative steps, as in the ONNX spec. */
class SliceTest {
  private static final long MAX = Long.MAX_VALUE;
  private static final long MIN = Long.MIN_VALUE;

  @Test
  void negativeStartCountsFromTheEnd() {
    assertEquals(f32(shape(3), 7, 8, 9), eval("Slice", attrs(), iota(10), i64(-3), i64(MAX)));
    assertEquals(f32(shape(2), 7, 8), eval("Slice", attrs(), iota(10), i64(-3), i64(-1)));
  }

  @Test
  void startsAndEndsAreClamped() {
    assertEquals(f32(shape(3), 0, 1, 2), eval("Slice", attrs(), iota(10), i64(-100), i64(3)));
    assertEquals(f32(shape(0)), eval("Slice", attrs(), iota(10), i64(20), i64(30)));
    assertEquals(f32(shape(0)), eval("Slice", attrs(), iota(10), i64(5), i64(2)));
    // INT32_MAX as an i32 end means "to the end" as well.
    Tensor starts = Tensor.ofLongs(DType.I32, shape(1), 8);
    Tensor ends = Tensor.ofLongs(DType.I32, shape(1), Integer.MAX_VALUE);
    assertEquals(f32(shape(2), 8, 9), eval("Slice", attrs(), iota(10), starts, ends));
  }

  @Test
  void negativeSteps() {
    assertEquals(f32(shape(10), 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
        eval("Slice", attrs(), iota(10), i64(-1), i64(MIN), i64(0), i64(-1)));
    assertEquals(f32(shape(4), 8, 6, 4, 2),
        eval("Slice", attrs(), iota(10), i64(8), i64(1), i64(0), i64(-2)));
    // Start clamps to dim - 1, end to -1 (one before the first element).
    assertEquals(f32(shape(4), 9, 6, 3, 0),
        eval("Slice", attrs(), iota(10), i64(100), i64(-100), i64(0), i64(-3)));
    assertEquals(f32(shape(0)), eval("Slice", attrs(), iota(10), i64(2), i64(5), i64(0), i64(-1)));
  }

  @Test
  void axesAndStepsPickDims() {
    Tensor out = eval("Slice", attrs(), iota(3, 4), i64(1, 0), i64(3, MAX), i64(0, -1), i64(1, 2));
    assertEquals(f32(shape(2, 2), 4, 6, 8, 10), out);
    assertEquals(f32(shape(3, 1), 3, 7, 11), eval("Slice", attrs(), iota(3, 4), i64(-1), i64(MAX), i64(1)));
  }

  @Test
  void emptyDims() {
    assertEquals("f32[0, 2]", infer("Slice", attrs(), f32Type(0, 3), i64(0, 1), i64(MAX, MAX)).toString());
    assertEquals(Tensor.zeros(DType.F32, 0, 2),
        eval("Slice", attrs(), iota(0, 3), i64(-1, 1), i64(MIN, MAX), null, i64(-1, 1)));
  }

  @Test
  void inferenceKeepsWhatItCanKnow() {
    assertEquals("f32[N, 4]", infer("Slice", attrs(), f32Type("N", 4), i64(0), i64(MAX), i64(0)).toString());
    assertEquals("f32[N, 4]",
        infer("Slice", attrs(), f32Type("N", 4), i64(-1), i64(MIN), i64(0), i64(-1)).toString());
    assertEquals("f32[N, 2]", infer("Slice", attrs(), f32Type("N", 4), i64(1), i64(3), i64(1)).toString());
    assertEquals("f32[?, 4]", infer("Slice", attrs(), f32Type("N", 4), i64(1), i64(MAX)).toString());
    assertEquals("f32[N, ?]", infer("Slice", attrs(), f32Type("N", 4), i64Type(1), i64Type(1), i64(1)).toString());
    assertEquals("f32[?, ?]", infer("Slice", attrs(), f32Type("N", 4), i64(1), i64(3), i64Type(1)).toString());
  }

  @Test
  void rejectsBadArguments() {
    assertInferError("input 4 (steps) = [0] has a 0 step",
        "Slice", attrs(), f32Type(10), i64(0), i64(5), i64(0), i64(0));
    assertInferError("input 3 (axes) = [1, -1]: axis 1 is given more than once",
        "Slice", attrs(), f32Type(3, 4), i64(0, 0), i64(1, 1), i64(1, -1));
    assertInferError("input 2 (ends) must have as many values as input 1 (starts) i64[1], got i64[2]",
        "Slice", attrs(), f32Type(3, 4), i64(0), i64(1, 1));
    assertInferError("input 1 (starts) i64[3] slices more axes than input 0 f32[3, 4] has",
        "Slice", attrs(), f32Type(3, 4), i64(0, 0, 0), i64(1, 1, 1));
  }
}
