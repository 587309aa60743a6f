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
import static dev.kiln.ir.ops.shape.OpHarness.iota;
import static dev.kiln.ir.ops.shape.OpHarness.shape;
import static dev.kiln.ir.ops.shape.OpHarness.with;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Trilu, DepthToSpace, SpaceToDepth and OneHot. */
class BlockOpsTest {
  private static final Tensor ONE_TO_NINE = f32(shape(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);

  @Test
  void triluKeepsATriangle() {
    assertEquals(f32(shape(3, 3), 1, 2, 3, 0, 5, 6, 0, 0, 9), eval("Trilu", attrs(), ONE_TO_NINE));
    assertEquals(f32(shape(3, 3), 0, 2, 3, 0, 0, 6, 0, 0, 0),
        eval("Trilu", attrs(), ONE_TO_NINE, i64Scalar(1)));
    Attributes lower = with().put("upper", 0L).build();
    assertEquals(f32(shape(3, 3), 0, 0, 0, 4, 0, 0, 7, 8, 0),
        eval("Trilu", lower, ONE_TO_NINE, i64Scalar(-1)));
    // Batched, non-square.
    Tensor batched = eval("Trilu", lower, iota(2, 2, 3));
    assertEquals(f32(shape(2, 2, 3), 0, 0, 0, 3, 4, 0, 6, 0, 0, 9, 10, 0), batched);
    assertEquals("f32[N, 2, 3]", infer("Trilu", attrs(), f32Type("N", 2, 3)).toString());
    assertInferError("input 0 must have rank >= 2, got f32[3]", "Trilu", attrs(), f32Type(3));
  }

  @Test
  void depthToSpaceFollowsTheOnnxExamples() {
    Tensor x = iota(1, 8, 2, 3);
    Tensor dcr = eval("DepthToSpace", with().put("blocksize", 2L).build(), x);
    assertEquals(
        f32(shape(1, 2, 4, 6),
            0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38,
            3, 15, 4, 16, 5, 17, 27, 39, 28, 40, 29, 41,
            6, 18, 7, 19, 8, 20, 30, 42, 31, 43, 32, 44,
            9, 21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47),
        dcr);
    Tensor crd = eval("DepthToSpace", with().put("blocksize", 2L).put("mode", "CRD").build(), x);
    assertEquals(
        f32(shape(1, 2, 4, 6),
            0, 6, 1, 7, 2, 8, 12, 18, 13, 19, 14, 20,
            3, 9, 4, 10, 5, 11, 15, 21, 16, 22, 17, 23,
            24, 30, 25, 31, 26, 32, 36, 42, 37, 43, 38, 44,
            27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47),
        crd);
    // SpaceToDepth undoes DCR.
    assertEquals(x, eval("SpaceToDepth", with().put("blocksize", 2L).build(), dcr));
  }

  @Test
  void spaceDepthShapes() {
    Attributes b2 = with().put("blocksize", 2L).build();
    assertEquals("f32[N, 2, 8, ?]", infer("DepthToSpace", b2, f32Type("N", 8, 4, "W")).toString());
    assertEquals("f32[N, 32, 2, ?]", infer("SpaceToDepth", b2, f32Type("N", 8, 4, "W")).toString());
    assertInferError("the channel dimension of input 0 f32[1, 6, 2, 2] must be a multiple of 4 (blocksize squared)",
        "DepthToSpace", b2, f32Type(1, 6, 2, 2));
    assertInferError("the height dimension of input 0 f32[1, 1, 3, 2] must be a multiple of 2 (blocksize)",
        "SpaceToDepth", b2, f32Type(1, 1, 3, 2));
    assertInferError("attribute 'mode' must be DCR or CRD, got 'RCD'",
        "DepthToSpace", with().put("blocksize", 2L).put("mode", "RCD").build(), f32Type(1, 4, 1, 1));
    assertInferError("attribute 'blocksize' must be >= 1, got 0",
        "SpaceToDepth", with().put("blocksize", 0L).build(), f32Type(1, 4, 1, 1));
  }

  @Test
  void oneHotPutsOnValuesAtIndices() {
    Tensor values = f32(shape(2), 2, 7);
    Tensor indices = i64(1, -1, 5);
    assertEquals(f32(shape(3, 3), 2, 7, 2, 2, 2, 7, 2, 2, 2),
        eval("OneHot", attrs(), indices, i64Scalar(3), values));
    assertEquals(f32(shape(3, 3), 2, 2, 2, 7, 2, 2, 2, 7, 2),
        eval("OneHot", with().put("axis", 0L).build(), indices, i64Scalar(3), values));
    assertEquals("f32[N, 10]", infer("OneHot", attrs(), i64Type("N"), i64Scalar(10), values).toString());
    assertEquals("f32[N, ?]", infer("OneHot", attrs(), i64Type("N"), i64Type(), values).toString());
    assertEquals("f32[4, N]",
        infer("OneHot", with().put("axis", -2L).build(), i64Type("N"), f32(shape(1), 4.5f), values).toString());
    assertInferError("input 2 (values) must be 1-D with 2 values [off, on], got f32[3]",
        "OneHot", attrs(), i64Type(2), i64Scalar(3), f32Type(3));
    assertInferError("input 1 (depth) must not be negative, got -1",
        "OneHot", attrs(), i64Type(2), i64Scalar(-1), values);
  }

  @Test
  void eyeLikeFillsADiagonal() {
    assertEquals(f32(shape(2, 3), 0, 1, 0, 0, 0, 1), eval("EyeLike", with().put("k", 1L).build(), iota(2, 3)));
    assertEquals(Tensor.ofLongs(shape(3, 2), 0, 0, 1, 0, 0, 1),
        eval("EyeLike", with().put("k", -1L).put("dtype", 7L).build(), iota(3, 2)));
    // Only the input's shape matters, so a static shape folds without the input's value.
    var r = OpHarness.inferAll("EyeLike", attrs(), 1, f32Type(2, 2));
    assertEquals(Optional.of(List.of(f32(shape(2, 2), 1, 0, 0, 1))), r.values().map(List::copyOf));
    assertEquals("i64[N, 4]", infer("EyeLike", with().put("dtype", 7L).build(), f32Type("N", 4)).toString());
    assertInferError("attribute 'dtype' = 8 is not an ONNX data type Kiln supports",
        "EyeLike", with().put("dtype", 8L).build(), f32Type(2, 2));
    assertInferError("input 0 must be 2-D, got f32[2]", "EyeLike", attrs(), f32Type(2));
  }

  @Test
  void reverseSequenceReversesEachPrefix() {
    // time_axis 0, batch_axis 1: column b reverses its first lens[b] rows.
    Tensor x = iota(4, 3);
    assertEquals(f32(shape(4, 3), 0, 4, 8, 3, 1, 5, 6, 7, 2, 9, 10, 11),
        eval("ReverseSequence", attrs(), x, i64(1, 2, 3)));
    Attributes batchFirst = with().put("batch_axis", 0L).put("time_axis", 1L).build();
    assertEquals(f32(shape(2, 3), 2, 1, 0, 3, 4, 5),
        eval("ReverseSequence", batchFirst, iota(2, 3), i64(3, 0)));
    assertInferError("input 1 (sequence_lens) i64[2] must have one length per batch entry of input 0 f32[4, 3]",
        "ReverseSequence", attrs(), f32Type(4, 3), i64Type(2));
    OpHarness.assertEvalError("input 1 (sequence_lens) has length 5 for batch entry 0, outside [0, 4]",
        "ReverseSequence", attrs(), x, i64(5, 1, 1));
  }
}
