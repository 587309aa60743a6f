package dev.kiln.ir.ops.nn;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.iota;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolTest {
  /** [[1, 2, 3], [4, 5, 6], [7, 8, 9]] as 1x1x3x3. */
  private static final Tensor X = iota(1, 1, 3, 3);

  private static final Tensor ROW = tensor(shape(1, 1, 3), 1, 2, 3);

  private static OpCall maxPool(Tensor x, long... kernel) {
    return OpCall.of("MaxPool").ints("kernel_shape", kernel).in(x);
  }

  private static OpCall averagePool(Tensor x, long... kernel) {
    return OpCall.of("AveragePool").ints("kernel_shape", kernel).in(x);
  }

  @Test
  void maxPoolWithIndices() {
    List<Tensor> out = maxPool(X, 2, 2).outputs(2).evalAll();
    assertTensor(shape(1, 1, 2, 2), new double[] {5, 6, 8, 9}, out.get(0));
    assertEquals(DType.I64, out.get(1).dtype());
    assertArrayEquals(new long[] {4, 5, 7, 8}, out.get(1).toLongArray());
  }

  @Test
  void maxPoolIndicesInColumnMajorOrder() {
    // (row 1, col 1) -> 1 + 1 * 3 = 4; (1, 2) -> 1 + 2 * 3 = 7; (2, 1) -> 5; (2, 2) -> 8.
    List<Tensor> out = maxPool(X, 2, 2).attr("storage_order", 1).outputs(2).evalAll();
    assertArrayEquals(new long[] {4, 7, 5, 8}, out.get(1).toLongArray());
  }

  @Test
  void maxPoolIndicesCountBatchAndChannelPlanes() {
    Tensor x = iota(2, 2, 2, 2);
    List<Tensor> out = maxPool(x, 2, 2).outputs(2).evalAll();
    assertTensor(shape(2, 2, 1, 1), new double[] {4, 8, 12, 16}, out.get(0));
    assertArrayEquals(new long[] {3, 7, 11, 15}, out.get(1).toLongArray());
  }

  @Test
  void ceilModeAddsAPartialWindow() {
    assertTensor(shape(1, 1, 1, 1), new double[] {5}, maxPool(X, 2, 2).ints("strides", 2, 2).eval());
    assertTensor(
        shape(1, 1, 2, 2),
        new double[] {5, 6, 8, 9},
        maxPool(X, 2, 2).ints("strides", 2, 2).attr("ceil_mode", 1).eval());
  }

  @Test
  void ceilModeDropsAWindowThatWouldStartInTheEndPadding() {
    // ceil((3 + 2 - 2) / 2) + 1 = 3 windows, but the third would start at 3 in the end padding.
    Tensor y = maxPool(ROW, 2).ints("strides", 2).ints("pads", 1, 1).attr("ceil_mode", 1).eval();
    assertTensor(shape(1, 1, 2), new double[] {1, 3}, y);
  }

  @Test
  void maxPoolDilations() {
    Tensor x = tensor(shape(1, 1, 5), 1, 5, 2, 4, 3);
    assertTensor(shape(1, 1, 3), new double[] {2, 5, 3}, maxPool(x, 2).ints("dilations", 2).eval());
  }

  @Test
  void maxPoolRejectsAWindowWhoseDilatedTapsMissTheInput() {
    // Kernel 2 with dilation 3 and one pad each side over [1, 2]: the only window reads -1 and 2.
    assertEquals(
        "the MaxPool window at output position [0] sees only padding: its taps fall outside"
            + " input 0 (X) f32[1, 1, 2]",
        maxPool(tensor(shape(1, 1, 2), 1, 2), 2).ints("dilations", 3).ints("pads", 1, 1)
            .evalError());
  }

  @Test
  void maxPoolOfIntegersAndNaN() {
    Tensor ints = Tensor.ofLongs(DType.I8, shape(1, 1, 4), -5, -3, 7, -128);
    assertArrayEquals(
        new long[] {-3, 7, 7}, maxPool(ints, 2).eval().toLongArray());
    Tensor nan = tensor(shape(1, 1, 3), 1, Double.NaN, 3);
    assertTensor(shape(1, 1, 1), new double[] {Double.NaN}, maxPool(nan, 3).eval());
  }

  @Test
  void averagePoolCeilModeDividesByTheElementsPresent() {
    OpCall ceil = averagePool(X, 2, 2).ints("strides", 2, 2).attr("ceil_mode", 1);
    assertTensor(shape(1, 1, 2, 2), new double[] {3, 4.5, 7.5, 9}, ceil.eval());
    // The ceil-mode overhang is not padding: count_include_pad does not count it.
    assertTensor(
        shape(1, 1, 2, 2),
        new double[] {3, 4.5, 7.5, 9},
        averagePool(X, 2, 2).ints("strides", 2, 2).attr("ceil_mode", 1)
            .attr("count_include_pad", 1).eval());
  }

  @Test
  void averagePoolCountIncludePad() {
    OpCall padded = averagePool(ROW, 2).ints("pads", 1, 1);
    assertTensor(shape(1, 1, 4), new double[] {1, 1.5, 2.5, 3}, padded.eval());
    assertTensor(
        shape(1, 1, 4),
        new double[] {0.5, 1.5, 2.5, 1.5},
        averagePool(ROW, 2).ints("pads", 1, 1).attr("count_include_pad", 1).eval());
    Tensor y = averagePool(X, 3, 3).ints("pads", 1, 1, 1, 1).attr("count_include_pad", 1).eval();
    assertEquals(12.0 / 9, y.getDouble(0), 1e-6);
    assertEquals(5.0, y.getDouble(4), 1e-6);
    Tensor z = averagePool(X, 3, 3).ints("pads", 1, 1, 1, 1).eval();
    assertEquals(3.0, z.getDouble(0), 1e-6);
  }

  @Test
  void averagePoolAutoPad() {
    Tensor x = tensor(shape(1, 1, 4), 1, 2, 3, 4);
    assertTensor(
        shape(1, 1, 4),
        new double[] {1.5, 2.5, 3.5, 4},
        averagePool(x, 2).attr("auto_pad", "SAME_UPPER").eval());
    assertTensor(
        shape(1, 1, 4),
        new double[] {1.5, 2.5, 3.5, 2},
        averagePool(x, 2).attr("auto_pad", "SAME_UPPER").attr("count_include_pad", 1).eval());
    assertTensor(
        shape(1, 1, 4),
        new double[] {0.5, 1.5, 2.5, 3.5},
        averagePool(x, 2).attr("auto_pad", "SAME_LOWER").attr("count_include_pad", 1).eval());
    assertTensor(
        shape(1, 1, 2), new double[] {1.5, 3.5},
        averagePool(x, 2).attr("auto_pad", "VALID").ints("strides", 2).eval());
  }

  @Test
  void globalPools() {
    Tensor x = iota(1, 2, 2, 2);
    assertTensor(
        shape(1, 2, 1, 1), new double[] {2.5, 6.5}, OpCall.of("GlobalAveragePool").in(x).eval());
    assertTensor(
        shape(1, 2, 1, 1), new double[] {4, 8}, OpCall.of("GlobalMaxPool").in(x).eval());
    Tensor oneD = iota(1, 1, 3);
    assertTensor(shape(1, 1, 1), new double[] {3}, OpCall.of("GlobalMaxPool").in(oneD).eval());
  }

  @Test
  void infersSymbolicShapes() {
    assertEquals(
        "f32[N, 64, 56, 56]",
        OpCall.of("MaxPool").ints("kernel_shape", 3, 3).ints("strides", 2, 2)
            .ints("pads", 1, 1, 1, 1).in(f32("N", 64, 112, 112)).inferText());
    assertEquals(
        "[f32[N, C, H, W], i64[N, C, H, W]]",
        OpCall.of("MaxPool").ints("kernel_shape", 3, 3).attr("auto_pad", "SAME_UPPER")
            .in(f32("N", "C", "H", "W")).outputs(2).inferAll().toString());
    assertEquals(
        "f32[N, C, ?]",
        OpCall.of("AveragePool").ints("kernel_shape", 2).in(f32("N", "C", "L")).inferText());
    assertEquals(
        "f32[N, C, 1, 1]", OpCall.of("GlobalAveragePool").in(f32("N", "C", "H", "W")).inferText());
  }

  @Test
  void rejectsBadAttributes() {
    assertEquals(
        List.of("MaxPool needs attribute 'kernel_shape' (ints)"),
        OpCall.of("MaxPool").in(f32(1, 1, 3, 3)).problems());
    assertEquals(
        "attribute 'kernel_shape' must have 2 values for a 2-D pooling, got [2]",
        OpCall.of("MaxPool").ints("kernel_shape", 2).in(f32(1, 1, 3, 3)).inferError());
    assertEquals(
        "attribute 'kernel_shape' values must be positive, got [2, 0]",
        OpCall.of("AveragePool").ints("kernel_shape", 2, 0).in(f32(1, 1, 3, 3)).inferError());
    assertEquals(
        "attribute 'pads' [0, 2, 0, 0]: padding 2 along spatial dim 1 is not smaller than the"
            + " window extent 2, so a window could see only padding",
        OpCall.of("MaxPool").ints("kernel_shape", 2, 2).ints("pads", 0, 2, 0, 0)
            .in(f32(1, 1, 3, 3)).inferError());
    assertEquals(
        "attribute 'storage_order' must be 0 or 1, got 2",
        OpCall.of("MaxPool").ints("kernel_shape", 2, 2).attr("storage_order", 2)
            .in(f32(1, 1, 3, 3)).inferError());
    assertEquals(
        "attribute 'ceil_mode' must be 0 or 1, got 3",
        OpCall.of("AveragePool").ints("kernel_shape", 2, 2).attr("ceil_mode", 3)
            .in(f32(1, 1, 3, 3)).inferError());
    assertEquals(
        "the window extent 4 (kernel 4, dilation 1) is larger than dim 2 of input 0 (X)"
            + " f32[1, 1, 3, 3], which is 3 with padding 0 + 0",
        OpCall.of("AveragePool").ints("kernel_shape", 4, 1).in(f32(1, 1, 3, 3)).inferError());
    assertEquals(
        "input 0 (X) must have rank >= 3 (N, C and at least one spatial dim), got f32[1, 3]",
        OpCall.of("GlobalMaxPool").in(f32(1, 3)).inferError());
  }
}
