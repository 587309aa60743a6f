package dev.kiln.ir.ops.nn;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.iota;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.type;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class ConvTest {
  /** [[1, 2, 3], [4, 5, 6], [7, 8, 9]] as 1x1x3x3. */
  private static final Tensor X = iota(1, 1, 3, 3);

  private static final Tensor ONES_2X2 = tensor(shape(1, 1, 2, 2), 1, 1, 1, 1);

  private static OpCall conv(Tensor x, Tensor w) {
    return OpCall.of("Conv").in(x).in(w);
  }

  @Test
  void slidesTheKernelWithoutPadding() {
    Tensor diagonal = tensor(shape(1, 1, 2, 2), 1, 0, 0, 1);
    assertTensor(shape(1, 1, 2, 2), new double[] {6, 8, 12, 14}, conv(X, diagonal).eval());
    Tensor y = conv(X, diagonal).in(tensor(shape(1), 1)).eval();
    assertTensor(shape(1, 1, 2, 2), new double[] {7, 9, 13, 15}, y);
  }

  @Test
  void explicitPads() {
    Tensor y = conv(X, ONES_2X2).ints("pads", 1, 1, 1, 1).eval();
    assertTensor(
        shape(1, 1, 4, 4),
        new double[] {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9},
        y);
  }

  @Test
  void asymmetricPadsGoBeginThenEnd() {
    // pads [top, left, bottom, right] = [1, 0, 0, 0]: one zero row above, none elsewhere.
    Tensor y = conv(X, ONES_2X2).ints("pads", 1, 0, 0, 0).eval();
    assertTensor(shape(1, 1, 3, 2), new double[] {3, 5, 12, 16, 24, 28}, y);
  }

  @Test
  void stridesWithPads() {
    Tensor y = conv(X, ONES_2X2).ints("pads", 1, 1, 1, 1).ints("strides", 2, 2).eval();
    assertTensor(shape(1, 1, 2, 2), new double[] {1, 5, 11, 28}, y);
  }

  @Test
  void dilations() {
    Tensor y = conv(X, ONES_2X2).ints("dilations", 2, 2).eval();
    assertTensor(shape(1, 1, 1, 1), new double[] {1 + 3 + 7 + 9}, y);
  }

  @Test
  void sameUpperPadsTheEndAndSameLowerTheBeginning() {
    // Total padding 1 (odd): SAME_UPPER puts it after the input, SAME_LOWER before.
    Tensor x = tensor(shape(1, 1, 4), 1, 2, 3, 4);
    Tensor w = tensor(shape(1, 1, 2), 1, 10);
    assertTensor(
        shape(1, 1, 4),
        new double[] {21, 32, 43, 4},
        conv(x, w).attr("auto_pad", "SAME_UPPER").eval());
    assertTensor(
        shape(1, 1, 4),
        new double[] {10, 21, 32, 43},
        conv(x, w).attr("auto_pad", "SAME_LOWER").eval());
    assertTensor(
        shape(1, 1, 3, 3),
        new double[] {12, 16, 9, 24, 28, 15, 15, 17, 9},
        conv(X, ONES_2X2).attr("auto_pad", "SAME_UPPER").eval());
    assertTensor(
        shape(1, 1, 3, 3),
        new double[] {1, 3, 5, 5, 12, 16, 11, 24, 28},
        conv(X, ONES_2X2).attr("auto_pad", "SAME_LOWER").eval());
  }

  @Test
  void sameWithStrideAndValid() {
    // out = ceil(5 / 2) = 3; total padding 2 * 2 + 3 - 5 = 2, one each side.
    Tensor x = tensor(shape(1, 1, 5), 1, 2, 3, 4, 5);
    Tensor w = tensor(shape(1, 1, 3), 1, 1, 1);
    assertTensor(
        shape(1, 1, 3),
        new double[] {3, 9, 9},
        conv(x, w).attr("auto_pad", "SAME_UPPER").ints("strides", 2).eval());
    assertTensor(
        shape(1, 1, 2),
        new double[] {6, 12},
        conv(x, w).attr("auto_pad", "VALID").ints("strides", 2).eval());
  }

  @Test
  void oneDimensionalConvWithChannels() {
    // Two input channels [1, 2, 3] and [10, 20, 30]; the kernel adds tap 0 of c0 to tap 1 of c1.
    Tensor x = tensor(shape(1, 2, 3), 1, 2, 3, 10, 20, 30);
    Tensor w = tensor(shape(1, 2, 2), 1, 0, 0, 1);
    assertTensor(shape(1, 1, 2), new double[] {21, 32}, conv(x, w).eval());
  }

  @Test
  void threeDimensionalConv() {
    Tensor x = iota(1, 1, 2, 2, 2);
    Tensor w = tensor(shape(1, 1, 2, 2, 2), 1, 1, 1, 1, 1, 1, 1, 1);
    assertTensor(shape(1, 1, 1, 1, 1), new double[] {36}, conv(x, w).eval());
  }

  @Test
  void depthwiseConv() {
    Tensor x = tensor(shape(1, 2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
    Tensor w = tensor(shape(2, 1, 1, 1), 2, 3);
    assertTensor(
        shape(1, 2, 2, 2),
        new double[] {2, 4, 6, 8, 15, 18, 21, 24},
        conv(x, w).attr("group", 2).eval());
  }

  @Test
  void groupsSeeOnlyTheirOwnChannels() {
    Tensor x = tensor(shape(1, 4, 1, 1), 1, 2, 3, 4);
    Tensor w = tensor(shape(2, 2, 1, 1), 1, 1, 1, -1);
    assertTensor(shape(1, 2, 1, 1), new double[] {3, -1}, conv(x, w).attr("group", 2).eval());
  }

  @Test
  void batchesAndOutputChannels() {
    Tensor x = iota(2, 1, 1, 2);
    Tensor w = tensor(shape(2, 1, 1, 1), 1, -1);
    Tensor b = tensor(shape(2), 0.5, 0);
    assertTensor(
        shape(2, 2, 1, 2),
        new double[] {1.5, 2.5, -1, -2, 3.5, 4.5, -3, -4},
        conv(x, w).in(b).eval());
  }

  @Test
  void infersSymbolicShapes() {
    assertEquals(
        "f32[N, 64, 112, 112]",
        OpCall.of("Conv")
            .ints("strides", 2, 2)
            .ints("pads", 3, 3, 3, 3)
            .in(f32("N", 3, 224, 224))
            .in(f32(64, 3, 7, 7))
            .inferText());
    assertEquals(
        "f32[N, 64, H, W]",
        OpCall.of("Conv").ints("pads", 1, 1, 1, 1).in(f32("N", 3, "H", "W")).in(f32(64, 3, 3, 3))
            .inferText());
    assertEquals(
        "f32[N, 64, H, W]",
        OpCall.of("Conv").attr("auto_pad", "SAME_LOWER").in(f32("N", 3, "H", "W"))
            .in(f32(64, 3, 4, 4)).inferText());
    assertEquals(
        "f32[N, 64, ?, ?]",
        OpCall.of("Conv").ints("strides", 2, 2).in(f32("N", 3, "H", "W")).in(f32(64, 3, 3, 3))
            .inferText());
    assertEquals(
        "f32[1, M, ?]",
        OpCall.of("Conv").in(f32(1, 3, 10)).in(f32("M", 3, "K")).inferText());
    assertEquals(
        "f32[1, M, 8]",
        OpCall.of("Conv").ints("kernel_shape", 3).in(f32(1, 3, 10)).in(f32("M", 3, "K"))
            .inferText());
  }

  @Test
  void rejectsChannelAndGroupMismatches() {
    assertEquals(
        "channel mismatch: input 0 (X) f32[1, 4, 5, 5] has 4 channels, but input 1 (W)"
            + " f32[8, 3, 3, 3] with group 2 expects 3 x 2 = 6",
        OpCall.of("Conv").attr("group", 2).in(f32(1, 4, 5, 5)).in(f32(8, 3, 3, 3)).inferError());
    assertEquals(
        "group 3 does not divide the 8 output channels of input 1 (W) f32[8, 1, 3, 3]",
        OpCall.of("Conv").attr("group", 3).in(f32(1, 3, 5, 5)).in(f32(8, 1, 3, 3)).inferError());
    assertEquals(
        "attribute 'group' must be positive, got 0",
        OpCall.of("Conv").attr("group", 0).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3)).inferError());
    assertEquals(
        "input 2 (B) must be 1-D of size 8 (the output channels of W), got f32[4]",
        OpCall.of("Conv").in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3)).in(f32(4)).inferError());
  }

  @Test
  void rejectsBadWindowAttributes() {
    OpCall base = OpCall.of("Conv").in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3));
    assertEquals(
        "attribute 'kernel_shape' [5, 5] does not match the spatial dims [3, 3] of input 1 (W)",
        OpCall.of("Conv").ints("kernel_shape", 5, 5).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals(
        "attribute 'kernel_shape' must have 2 values for a 2-D convolution, got [3]",
        OpCall.of("Conv").ints("kernel_shape", 3).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals(
        "attribute 'strides' must have 2 values for a 2-D convolution, got [1, 1, 1]",
        OpCall.of("Conv").ints("strides", 1, 1, 1).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals(
        "attribute 'dilations' values must be positive, got [1, 0]",
        OpCall.of("Conv").ints("dilations", 1, 0).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals(
        "attribute 'pads' must have 4 values (begin and end of each spatial dim) for a 2-D"
            + " convolution, got [1, 1]",
        OpCall.of("Conv").ints("pads", 1, 1).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3)).inferError());
    assertEquals(
        "attribute 'pads' values must be >= 0, got [0, -1, 0, 0]",
        OpCall.of("Conv").ints("pads", 0, -1, 0, 0).in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals(
        "attribute 'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got 'SAME'",
        OpCall.of("Conv").attr("auto_pad", "SAME").in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals(
        "attribute 'pads' [1, 1, 1, 1] cannot be used together with auto_pad SAME_UPPER",
        OpCall.of("Conv").attr("auto_pad", "SAME_UPPER").ints("pads", 1, 1, 1, 1)
            .in(f32(1, 3, 5, 5)).in(f32(8, 3, 3, 3)).inferError());
    assertEquals(
        "the window extent 5 (kernel 3, dilation 2) is larger than dim 3 of input 0 (X)"
            + " f32[1, 3, 5, 4], which is 4 with padding 0 + 0",
        OpCall.of("Conv").ints("dilations", 1, 2).in(f32(1, 3, 5, 4)).in(f32(8, 3, 3, 3))
            .inferError());
    assertEquals("f32[1, 8, 3, 3]", base.inferText());
  }

  @Test
  void checksBiasAndChannelsAgainAtRunTime() {
    // With symbolic dims inference cannot check these; evaluation sees the bound sizes.
    assertEquals(
        "input 2 (B) must be 1-D of size 1 (the output channels of W), got f32[2]",
        conv(X, ONES_2X2).in(tensor(shape(2), 1, 2)).evalError());
    assertEquals(
        "channel mismatch: input 0 (X) f32[1, 2, 3] has 2 channels, but input 1 (W) f32[1, 1, 2]"
            + " with group 1 expects 1 x 1 = 1",
        conv(iota(1, 2, 3), tensor(shape(1, 1, 2), 1, 1)).evalError());
  }

  @Test
  void rejectsBadRanksAndTypes() {
    assertEquals(
        "input 0 (X) must have rank >= 3 (N, C and at least one spatial dim), got f32[3, 224]",
        OpCall.of("Conv").in(f32(3, 224)).in(f32(3, 224)).inferError());
    assertEquals(
        "input 1 (W) must have the same rank as input 0 (X) f32[1, 3, 5, 5], got f32[8, 3, 3]",
        OpCall.of("Conv").in(f32(1, 3, 5, 5)).in(f32(8, 3, 3)).inferError());
    assertEquals(
        "input 0 must be [f16, f32, f64], got i64[1, 3, 5]",
        OpCall.of("Conv").in(type(DType.I64, 1, 3, 5)).in(type(DType.I64, 1, 3, 3)).inferError());
  }
}
