package dev.kiln.ir.ops.shape;

import static dev.kiln.ir.ops.shape.OpHarness.assertEvalError;
import static dev.kiln.ir.ops.shape.OpHarness.assertInferError;
import static dev.kiln.ir.ops.shape.OpHarness.assertOpError;
import static dev.kiln.ir.ops.shape.OpHarness.attrs;
import static dev.kiln.ir.ops.shape.OpHarness.eval;
import static dev.kiln.ir.ops.shape.OpHarness.evalAll;
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

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Transpose, Concat, Split, Gather, GatherElements, Expand and Tile. */
class MovementTest {

  @Test
  void transposeReversesByDefault() {
    assertEquals(f32(shape(3, 2), 0, 3, 1, 4, 2, 5), eval("Transpose", attrs(), iota(2, 3)));
    assertEquals("f32[3, N]", infer("Transpose", attrs(), f32Type("N", 3)).toString());
  }

  @Test
  void transposeFollowsPerm() {
    Tensor out = eval("Transpose", with().putInts("perm", 1, 0, 2).build(), iota(2, 3, 4));
    assertEquals(
        f32(shape(3, 2, 4),
            0, 1, 2, 3, 12, 13, 14, 15,
            4, 5, 6, 7, 16, 17, 18, 19,
            8, 9, 10, 11, 20, 21, 22, 23),
        out);
    assertInferError(
        "attribute 'perm' = [0, 0] is not a permutation of the 2 axes of input 0 f32[2, 3]",
        "Transpose", with().putInts("perm", 0, 0).build(), f32Type(2, 3));
    assertInferError(
        "attribute 'perm' = [1, 0, 2] is not a permutation of the 2 axes of input 0 f32[2, 3]",
        "Transpose", with().putInts("perm", 1, 0, 2).build(), f32Type(2, 3));
  }

  @Test
  void concatJoinsAlongAxis() {
    Tensor a = f32(shape(2, 2), 0, 1, 2, 3);
    Tensor b = f32(shape(2, 1), 10, 20);
    Tensor expected = f32(shape(2, 3), 0, 1, 10, 2, 3, 20);
    assertEquals(expected, eval("Concat", with().put("axis", 1L).build(), a, b));
    assertEquals(expected, eval("Concat", with().put("axis", -1L).build(), a, b));
    assertEquals(i64(2, 3, -1), eval("Concat", with().put("axis", 0L).build(), i64(2), i64(3, -1)));
    // An empty input contributes nothing.
    assertEquals(a, eval("Concat", with().put("axis", 0L).build(), iota(0, 2), a));
  }

  @Test
  void concatInfersSymbolicDims() {
    var axis0 = with().put("axis", 0L).build();
    var axis1 = with().put("axis", 1L).build();
    assertEquals("f32[N, 8]", infer("Concat", axis1, f32Type("N", 3), f32Type("N", 5)).toString());
    assertEquals("f32[?, 3]", infer("Concat", axis0, f32Type("N", 3), f32Type(2, 3)).toString());
    assertEquals("f32[N, 3]", infer("Concat", axis0, f32Type(0, 3), f32Type("N", 3)).toString());
    assertEquals("f32[5, 3]", infer("Concat", axis0, f32Type(2, "M"), f32Type(3, 3)).toString());
  }

  @Test
  void concatRejectsMismatchedInputs() {
    var axis1 = with().put("axis", 1L).build();
    assertInferError("input 1 f32[3, 3] does not match input 0 f32[2, 3] in dimension 0 (3 vs 2)",
        "Concat", axis1, f32Type(2, 3), f32Type(3, 3));
    assertInferError("input 1 must have the element type of input 0 (f32), got i64[2, 3]",
        "Concat", axis1, f32Type(2, 3), i64Type(2, 3));
    assertInferError("input 1 must have rank 2 like input 0 f32[2, 3], got f32[2]",
        "Concat", axis1, f32Type(2, 3), f32Type(2));
    assertInferError("attribute 'axis' = 2 is out of range for rank 2",
        "Concat", with().put("axis", 2L).build(), f32Type(2, 3));
    assertInferError("Concat needs attribute 'axis' (int)", "Concat", attrs(), f32Type(2, 3));
  }

  @Test
  void splitEquallyWithSmallerLastPiece() {
    List<Tensor> out = evalAll("Split", attrs(), 3, iota(5));
    assertEquals(List.of(f32(shape(2), 0, 1), f32(shape(2), 2, 3), f32(shape(1), 4)), out);
    assertEquals(out, evalAll("Split", with().put("num_outputs", 3L).build(), 3, iota(5)));
    assertEquals("[f32[N, 2], f32[N, 2]]",
        inferAll("Split", with().put("axis", 1L).build(), 2, f32Type("N", 4)).types().toString());
    assertEquals("[f32[?], f32[?]]", inferAll("Split", attrs(), 2, f32Type("N")).types().toString());
  }

  @Test
  void splitBySizes() {
    List<Tensor> out = evalAll("Split", with().put("axis", 1L).build(), 2, iota(2, 4), i64(1, 3));
    assertEquals(List.of(f32(shape(2, 1), 0, 4), f32(shape(2, 3), 1, 2, 3, 5, 6, 7)), out);
    assertEquals(out,
        evalAll("Split", with().put("axis", -1L).putInts("split", 1, 3).build(), 2, iota(2, 4)));
    assertEquals("[f32[1], f32[0], f32[3]]",
        inferAll("Split", attrs(), 3, f32Type("N"), i64(1, 0, 3)).types().toString());
    assertEquals("[f32[2, ?], f32[2, ?]]",
        inferAll("Split", with().put("axis", 1L).build(), 2, f32Type(2, 4), i64Type(2))
            .types().toString());
  }

  @Test
  void splitRejectsBadSizes() {
    assertOpError("input 1 (split) = [1, 3] adds up to 4, but the split dimension has size 5",
        () -> inferAll("Split", attrs(), 2, f32Type(5), i64(1, 3)));
    assertOpError("attribute 'split' = [5] must give one size per output (2)",
        () -> inferAll("Split", with().putInts("split", 5).build(), 2, f32Type(5)));
    assertOpError("attribute 'num_outputs' = 3, but the node has 2 outputs",
        () -> inferAll("Split", with().put("num_outputs", 3L).build(), 2, f32Type(6)));
    assertOpError("cannot split dimension of size 5 into 4 pieces of at most 2",
        () -> inferAll("Split", attrs(), 4, f32Type(5)));
    assertOpError("input 1 (split) = [1, -1] has a negative size",
        () -> inferAll("Split", attrs(), 2, f32Type(0), i64(1, -1)));
  }

  @Test
  void gatherWithNegativeIndicesAlongAxis0() {
    Tensor out = eval("Gather", attrs(), iota(3, 4), i64(-1, 0));
    assertEquals(f32(shape(2, 4), 8, 9, 10, 11, 0, 1, 2, 3), out);
    // A scalar index removes the axis: picking one dim out of a shape vector.
    assertEquals(i64Scalar(3), eval("Gather", attrs(), i64(2, 3, 4), i64Scalar(-2)));
    assertEquals("i64[]", infer("Gather", attrs(), i64(2, 3, 4), i64Scalar(1)).toString());
  }

  @Test
  void gatherAlongAxis1() {
    Tensor indices = Tensor.ofLongs(DType.I32, shape(1, 2), 0, -1);
    Tensor out = eval("Gather", with().put("axis", 1L).build(), iota(3, 4), indices);
    assertEquals(f32(shape(3, 1, 2), 0, 3, 4, 7, 8, 11), out);
    assertEquals("f32[N, 5, 7, 2]",
        infer("Gather", with().put("axis", -2L).build(), f32Type("N", 3, 2), i64Type(5, 7)).toString());
  }

  @Test
  void gatherRejectsOutOfRangeIndices() {
    assertEvalError("index 3 in input 1 (indices) is out of range for dimension 0 of input 0, of size 3",
        "Gather", attrs(), iota(3, 4), i64(0, 3));
    assertEvalError("index -5 in input 1 (indices) is out of range for dimension 1 of input 0, of size 4",
        "Gather", with().put("axis", 1L).build(), iota(3, 4), i64(-5));
    // Known indices are checked even when the data is not known.
    assertInferError("index 3 in input 1 (indices) is out of range for dimension 0 of input 0, of size 3",
        "Gather", attrs(), f32Type(3, 4), i64(3));
    assertInferError("input 1 (indices) must be an i32 or i64 tensor, got f32[2]",
        "Gather", attrs(), f32Type(3, 4), f32Type(2));
  }

  @Test
  void gatherElementsFollowsTheOnnxExamples() {
    Tensor data = f32(shape(2, 2), 1, 2, 3, 4);
    Tensor indices = Tensor.ofLongs(shape(2, 2), 0, 0, 1, 0);
    assertEquals(f32(shape(2, 2), 1, 1, 4, 3),
        eval("GatherElements", with().put("axis", 1L).build(), data, indices));
    Tensor data3 = f32(shape(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
    Tensor indices3 = Tensor.ofLongs(shape(2, 3), 1, 2, 0, 2, 0, -3);
    assertEquals(f32(shape(2, 3), 4, 8, 3, 7, 2, 3), eval("GatherElements", attrs(), data3, indices3));
    assertInferError("input 1 (indices) i64[2, 4] is larger than input 0 (data) f32[3, 3] in dimension 1",
        "GatherElements", attrs(), f32Type(3, 3), i64Type(2, 4));
    assertEvalError("index 2 in input 1 (indices) is out of range for dimension 1 of input 0, of size 2",
        "GatherElements", with().put("axis", 1L).build(), data, Tensor.ofLongs(shape(1, 1), 2));
  }

  @Test
  void expandBroadcastsBothWays() {
    Tensor x = f32(shape(3, 1), 1, 2, 3);
    Tensor out = eval("Expand", attrs(), x, i64(2, 1, 2));
    assertEquals(f32(shape(2, 3, 2), 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3), out);
    assertEquals(x, eval("Expand", attrs(), x, i64(1)));
    assertEquals("f32[?, 3, ?]", infer("Expand", attrs(), f32Type(3, 1), i64Type(3)).toString());
    assertEquals("f32[N, 4]", infer("Expand", attrs(), f32Type("N", 1), i64(1, 4)).toString());
    assertInferError("input 0 f32[3, 2] cannot be expanded to input 1 (shape) = [4, 3]",
        "Expand", attrs(), f32Type(3, 2), i64(4, 3));
  }

  @Test
  void tileRepeatsAlongEachAxis() {
    assertEquals(f32(shape(2, 4), 0, 1, 0, 1, 2, 3, 2, 3), eval("Tile", attrs(), iota(2, 2), i64(1, 2)));
    assertEquals(f32(shape(4, 1), 0, 1, 0, 1), eval("Tile", attrs(), iota(2, 1), i64(2, 1)));
    assertEquals("f32[N, 6]", infer("Tile", attrs(), f32Type("N", 2), i64(1, 3)).toString());
    assertEquals("f32[?, 0]", infer("Tile", attrs(), f32Type("N", 2), i64(2, 0)).toString());
    assertInferError("input 1 (repeats) i64[1] must have one value per axis of input 0 f32[2, 2]",
        "Tile", attrs(), f32Type(2, 2), i64(2));
    assertInferError("input 1 (repeats) = [1, -1] has a negative repeat",
        "Tile", attrs(), f32Type(2, 2), i64(1, -1));
  }

  @Test
  void emptyDimsMoveNothing() {
    assertEquals(Tensor.zeros(DType.F32, 3, 0), eval("Transpose", attrs(), iota(0, 3)));
    assertEquals(Tensor.zeros(DType.F32, 0, 3), eval("Gather", attrs(), iota(0, 3), i64()));
    assertEquals(Tensor.zeros(DType.F32, 2, 0), eval("Gather", attrs(), iota(3, 0), i64(2, -1)));
    assertEquals(List.of(Tensor.zeros(DType.F32, 0, 1), Tensor.zeros(DType.F32, 0, 2)),
        evalAll("Split", with().put("axis", 1L).build(), 2, iota(0, 3), i64(1, 2)));
    assertEquals(Tensor.zeros(DType.F32, 0, 6), eval("Tile", attrs(), iota(0, 3), i64(2, 2)));
    assertEquals(Tensor.zeros(DType.F32, 0, 4), eval("Expand", attrs(), iota(0, 1), i64(1, 4)));
    assertEquals("f32[0, ?]", infer("Expand", attrs(), f32Type(0, 1), i64Type(2)).toString());
    // Indexing into an empty axis fails even when the result would be empty.
    assertEvalError("index 0 in input 1 (indices) is out of range for dimension 0 of input 0, of size 0",
        "Gather", attrs(), iota(0, 3), i64(0));
  }
}
