package dev.kiln.ir.ops.shape;

import static dev.kiln.ir.ops.shape.OpHarness.assertEvalError;
import static dev.kiln.ir.ops.shape.OpHarness.assertInferError;
import static dev.kiln.ir.ops.shape.OpHarness.attrs;
import static dev.kiln.ir.ops.shape.OpHarness.eval;
import static dev.kiln.ir.ops.shape.OpHarness.f32;
import static dev.kiln.ir.ops.shape.OpHarness.f32Type;
import static dev.kiln.ir.ops.shape.OpHarness.i64Type;
import static dev.kiln.ir.ops.shape.OpHarness.infer;
import static dev.kiln.ir.ops.shape.OpHarness.iota;
import static dev.kiln.ir.ops.shape.OpHarness.shape;
import static dev.kiln.ir.ops.shape.OpHarness.with;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

/** GatherND, ScatterND and ScatterElements, with every reduction. */
class ScatterGatherNdTest {

  private static Tensor indices(long[] shape, long... values) {
    return Tensor.ofLongs(shape, values);
  }

  @Test
  void gatherNdPicksElementsAndSlices() {
    Tensor data = iota(2, 2);
    assertEquals(f32(shape(2), 0, 3), eval("GatherND", attrs(), data, indices(shape(2, 2), 0, 0, 1, 1)));
    assertEquals(f32(shape(2, 2), 2, 3, 0, 1), eval("GatherND", attrs(), data, indices(shape(2, 1), 1, -2)));
    // batch_dims = 1: row b of indices indexes batch b of data.
    Tensor batched = iota(2, 2, 2);
    assertEquals(f32(shape(2, 2), 2, 3, 4, 5),
        eval("GatherND", with().put("batch_dims", 1L).build(), batched, indices(shape(2, 1), 1, 0)));
    assertEquals("f32[N, 5, 7]", infer("GatherND", attrs(), f32Type(4, 5, 7), i64Type("N", 1)).toString());
    assertInferError("the last dim of input 1 (indices) i64[2, 3] must be in [1, 2] to index input 0 f32[2, 2]",
        "GatherND", attrs(), f32Type(2, 2), i64Type(2, 3));
    assertInferError("the last dim of input 1 (indices) i64[2, K] must be static: it decides the output rank",
        "GatherND", attrs(), f32Type(2, 2), i64Type(2, "K"));
    assertEvalError("index 2 in input 1 (indices) is out of range for dimension 1 of input 0, of size 2",
        "GatherND", attrs(), data, indices(shape(1, 2), 0, 2));
  }

  @Test
  void scatterNdWritesSlicesInOrder() {
    Tensor data = Tensor.zeros(DType.F32, 4);
    Tensor updates = f32(shape(3), 9, 10, 11);
    Tensor idx = indices(shape(3, 1), 1, -1, 1);
    assertEquals(f32(shape(4), 0, 11, 0, 10), eval("ScatterND", attrs(), data, idx, updates));
    Tensor ones = f32(shape(4), 1, 1, 1, 1);
    assertEquals(f32(shape(4), 1, 21, 1, 11),
        eval("ScatterND", with().put("reduction", "add").build(), ones, idx, updates));
    assertEquals(f32(shape(4), 1, 99, 1, 10),
        eval("ScatterND", with().put("reduction", "mul").build(), ones, idx, updates));
    assertEquals(f32(shape(4), 1, 1, 1, 1),
        eval("ScatterND", with().put("reduction", "min").build(), ones, idx, updates));
    Tensor rows = eval("ScatterND", attrs(), iota(2, 2), indices(shape(1, 1), 1), f32(shape(1, 2), 7, 8));
    assertEquals(f32(shape(2, 2), 0, 1, 7, 8), rows);
    assertInferError("input 2 (updates) must have shape [1, 2] (indices [1, 1] without its last dim,"
            + " then data [2, 2] after the 1 indexed dims), got f32[1, 3]",
        "ScatterND", attrs(), f32Type(2, 2), i64Type(1, 1), f32Type(1, 3));
  }

  @Test
  void scatterElementsIsTheInverseOfGatherElements() {
    // The ONNX example: axis 1, data [[1, 2, 3, 4, 5]], indices [[1, 3]], updates [[1.1, 2.1]].
    Tensor data = f32(shape(1, 5), 1, 2, 3, 4, 5);
    Tensor idx = indices(shape(1, 2), 1, 3);
    Tensor updates = f32(shape(1, 2), 1.1f, 2.1f);
    assertEquals(f32(shape(1, 5), 1, 1.1f, 3, 2.1f, 5),
        eval("ScatterElements", with().put("axis", 1L).build(), data, idx, updates));
    Tensor dup = indices(shape(1, 2), -4, 1);
    assertEquals(f32(shape(1, 5), 1, 5.2f, 3, 4, 5),
        eval("ScatterElements", with().put("axis", 1L).put("reduction", "add").build(), data, dup, updates));
    assertEquals(f32(shape(1, 5), 1, 2.1f, 3, 4, 5),
        eval("ScatterElements", with().put("axis", 1L).put("reduction", "max").build(), data, dup, updates));
    Tensor ints = eval("ScatterElements", with().put("reduction", "mul").build(),
        Tensor.ofLongs(shape(2), 3, 5), indices(shape(2), 0, 0), Tensor.ofLongs(shape(2), 2, 7));
    assertEquals(Tensor.ofLongs(shape(2), 42, 5), ints);
    assertInferError("input 2 (updates) f32[1, 3] must have the shape of input 1 (indices) i64[1, 2]",
        "ScatterElements", attrs(), f32Type(1, 5), i64Type(1, 2), f32Type(1, 3));
    assertInferError("attribute 'reduction' must be one of [none, add, mul, max, min], got 'sum'",
        "ScatterElements", with().put("reduction", "sum").build(), f32Type(2), i64Type(1), f32Type(1));
    assertEvalError("index 5 in input 1 (indices) is out of range for dimension 1 of input 0, of size 5",
        "ScatterElements", with().put("axis", 1L).build(), data, indices(shape(1, 1), 5), f32(shape(1, 1), 0));
  }
}
