package dev.kiln.ir.ops.reduce;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.i64;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.type;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class ReduceTest {
  /** [[1, 2, 3], [4, 5, 6]] */
  private static final Tensor X = tensor(shape(2, 3), 1, 2, 3, 4, 5, 6);

  private static final double INF = Double.POSITIVE_INFINITY;

  private static Tensor reduce(String op, Tensor x, long... axes) {
    return OpCall.of(op).ints("axes", axes).in(x).eval();
  }

  @Test
  void sumKeepsReducedDimsByDefault() {
    assertTensor(shape(2, 1), new double[] {6, 15}, reduce("ReduceSum", X, 1));
  }

  @Test
  void sumWithNegativeAxisAndKeepdimsZero() {
    Tensor y = OpCall.of("ReduceSum").ints("axes", -2).attr("keepdims", 0).in(X).eval();
    assertTensor(shape(3), new double[] {5, 7, 9}, y);
  }

  @Test
  void axesAsInput() {
    Tensor y = OpCall.of("ReduceSum").attr("keepdims", 0).in(X).constIn(i64(shape(1), 1)).eval();
    assertTensor(shape(2), new double[] {6, 15}, y);
    Tensor mean = OpCall.of("ReduceMean").in(X).constIn(i64(shape(2), 0, -1)).eval();
    assertTensor(shape(1, 1), new double[] {3.5}, mean);
  }

  @Test
  void noAxesReducesEverythingUnlessNoop() {
    assertTensor(shape(1, 1), new double[] {21}, OpCall.of("ReduceSum").in(X).eval());
    assertTensor(
        shape(), new double[] {21}, OpCall.of("ReduceSum").attr("keepdims", 0).in(X).eval());
    Tensor same = OpCall.of("ReduceSum").attr("noop_with_empty_axes", 1).in(X).eval();
    assertEquals(X, same);
    Tensor sameWithEmptyInput =
        OpCall.of("ReduceMax").attr("noop_with_empty_axes", 1).in(X).constIn(i64(shape(0))).eval();
    assertEquals(X, sameWithEmptyInput);
  }

  @Test
  void everyReduction() {
    assertTensor(shape(1, 3), new double[] {2.5, 3.5, 4.5}, reduce("ReduceMean", X, 0));
    assertTensor(shape(2, 1), new double[] {3, 6}, reduce("ReduceMax", X, 1));
    assertTensor(shape(2, 1), new double[] {1, 4}, reduce("ReduceMin", X, 1));
    assertTensor(shape(2, 1), new double[] {6, 120}, reduce("ReduceProd", X, 1));
    Tensor signed = tensor(shape(2, 2), 1, -2, 3, -4);
    assertTensor(shape(2, 1), new double[] {3, 7}, reduce("ReduceL1", signed, 1));
    assertTensor(shape(2, 1), new double[] {Math.sqrt(5), 5}, reduce("ReduceL2", signed, 1));
    assertTensor(shape(2, 1), new double[] {5, 25}, reduce("ReduceSumSquare", signed, 1));
    assertTensor(
        shape(2, 1), new double[] {Math.log(6), Math.log(15)}, reduce("ReduceLogSum", X, 1));
  }

  @Test
  void logSumExpIsStableForLargeInputs() {
    Tensor x = tensor(shape(2, 2), 0, 0, 1000, 1000);
    assertTensor(
        shape(2, 1), new double[] {Math.log(2), 1000 + Math.log(2)}, reduce("ReduceLogSumExp", x, 1));
  }

  @Test
  void emptyGroupsGiveTheIdentity() {
    Tensor empty = Tensor.zeros(DType.F32, 2, 0);
    assertTensor(shape(2, 1), new double[] {0, 0}, reduce("ReduceSum", empty, 1));
    assertTensor(shape(2, 1), new double[] {1, 1}, reduce("ReduceProd", empty, 1));
    assertTensor(shape(2, 1), new double[] {-INF, -INF}, reduce("ReduceMax", empty, 1));
    assertTensor(shape(2, 1), new double[] {INF, INF}, reduce("ReduceMin", empty, 1));
    assertTensor(shape(2, 1), new double[] {-INF, -INF}, reduce("ReduceLogSumExp", empty, 1));
    assertTensor(shape(2, 1), new double[] {0, 0}, reduce("ReduceL2", empty, 1));
    assertTensor(shape(2, 1), new double[] {Double.NaN, Double.NaN}, reduce("ReduceMean", empty, 1));
    Tensor emptyInts = Tensor.zeros(DType.I32, 0, 3);
    assertArrayEquals(
        new long[] {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE},
        reduce("ReduceMax", emptyInts, 0).toLongArray());
    assertEquals(
        "ReduceMean of an empty set of i32 elements is undefined (it would divide by 0)",
        OpCall.of("ReduceMean").ints("axes", 0).in(emptyInts).evalError());
  }

  @Test
  void integerReductionsAreExact() {
    Tensor big = Tensor.ofLongs(shape(2), (1L << 60) + 1, 1);
    assertArrayEquals(new long[] {(1L << 60) + 2}, reduce("ReduceSum", big, 0).toLongArray());
    Tensor ints = Tensor.ofLongs(DType.I32, shape(3), 7, 8, 8);
    assertArrayEquals(new long[] {7}, reduce("ReduceMean", ints, 0).toLongArray());
  }

  @Test
  void maxPropagatesNaN() {
    Tensor x = tensor(shape(3), 1, Double.NaN, 3);
    assertTensor(shape(1), new double[] {Double.NaN}, reduce("ReduceMax", x, 0));
  }

  @Test
  void infersSymbolicShapes() {
    OpCall mean = OpCall.of("ReduceMean").ints("axes", 2, 3).in(f32("N", "C", "H", "W"));
    assertEquals("f32[N, C, 1, 1]", mean.inferText());
    assertEquals(
        "f32[N, C]",
        OpCall.of("ReduceMean").ints("axes", -1, -2).attr("keepdims", 0).in(f32("N", "C", "H", "W"))
            .inferText());
    assertEquals(
        "f32[?, ?, ?]",
        OpCall.of("ReduceSum").in(f32("N", 3, 4)).in(type(DType.I64, 1)).inferText());
    // Without keepdims, each axis (they are distinct) removes one dim.
    assertEquals(
        "f32[?, ?]",
        OpCall.of("ReduceSum").attr("keepdims", 0).in(f32("N", 3, 4)).in(type(DType.I64, 1))
            .inferText());
    // An empty axes input has no values to wait for: every axis, or none with noop.
    assertEquals(
        "f32[]",
        OpCall.of("ReduceSum").attr("keepdims", 0).in(f32(2, 3)).in(type(DType.I64, 0))
            .inferText());
    assertEquals(
        "f32[2, 3]",
        OpCall.of("ReduceSum").attr("noop_with_empty_axes", 1).in(f32(2, 3))
            .in(type(DType.I64, 0)).inferText());
  }

  @Test
  void rejectsBadAxes() {
    assertEquals(
        "axis 2 in axes [2] is out of range for rank 2",
        OpCall.of("ReduceSum").ints("axes", 2).in(f32(2, 3)).inferError());
    assertEquals(
        "axis -3 in axes [-3] is out of range for rank 2",
        OpCall.of("ReduceMax").ints("axes", -3).in(f32(2, 3)).inferError());
    assertEquals(
        "axes [1, -1] name axis 1 twice",
        OpCall.of("ReduceSum").ints("axes", 1, -1).in(f32(2, 3)).inferError());
    assertEquals(
        "axes are given both as attribute 'axes' and as input 1; give them one way",
        OpCall.of("ReduceSum").ints("axes", 1).in(f32(2, 3)).constIn(i64(shape(1), 0)).inferError());
    assertEquals(
        "input 1 (axes) must be a 1-D i64 tensor, got i32[1]",
        OpCall.of("ReduceSum").in(f32(2, 3)).in(type(DType.I32, 1)).inferError());
    assertEquals(
        "input 1 (axes) of ReduceSum must have a static length when keepdims is 0,"
            + " because the output rank depends on it, got i64[K]",
        OpCall.of("ReduceSum").attr("keepdims", 0).in(f32(2, 3)).in(type(DType.I64, "K"))
            .inferError());
    assertEquals(
        "input 1 (axes) has 3 axes, more than the rank 2 of input 0",
        OpCall.of("ReduceSum").attr("keepdims", 0).in(f32(2, 3)).in(type(DType.I64, 3))
            .inferError());
    assertEquals(
        "input 0 must be [f16, bf16, f32, f64, i32, i64, u32, u64], got bool[2]",
        OpCall.of("ReduceSum").in(type(DType.BOOL, 2)).inferError());
    assertEquals(
        "attribute 'keepdims' must be 0 or 1, got 2",
        OpCall.of("ReduceSum").attr("keepdims", 2).in(f32(2)).inferError());
  }

  @Test
  void everyReductionIsRegistered() {
    for (String op :
        new String[] {
          "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
          "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin"
        }) {
      String expected = op.startsWith("Arg") ? "i64[1]" : "f32[1]";
      assertEquals(expected, OpCall.of(op).in(f32(2)).inferText(), op);
    }
  }
}
