package dev.kiln.ir.ops.layout;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.iota;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The blocked-layout operators: reorders place element (n, c, h, w) at [n, c / b, h, w, c % b]
 * with zero lanes, and every blocked operator computes what its NCHW operator computes between
 * a reorder in and a reorder out.
 */
class LayoutOpsTest {
  private static Tensor random(Random r, long... shape) {
    double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble() * 4 - 2;
    }
    return tensor(shape, v);
  }

  private static Tensor reorderIn(Tensor x, long block) {
    return OpCall.of("ReorderInput").attr("channels_block", block).in(x).eval();
  }

  private static Tensor reorderOut(Tensor x, long channels) {
    return OpCall.of("ReorderOutput").attr("channels", channels).in(x).eval();
  }

  @Test
  void reorderInputPlacesChannelsInLanesAndZeroesThePadLanes() {
    // 3 channels of 1x2 in blocks of 2: block 0 holds channels 0 and 1, block 1 channel 2 and a zero.
    Tensor y = reorderIn(iota(1, 3, 1, 2), 2);
    assertTensor(shape(1, 2, 1, 2, 2), new double[] {1, 3, 2, 4, 5, 0, 6, 0}, y);
    assertEquals("f32[N, 4, 7, 7, 16]",
        OpCall.of("ReorderInput").in(f32("N", 50, 7, 7)).inferText());
    assertEquals("f32[1, ?, 7, 7, 8]",
        OpCall.of("ReorderInput").attr("channels_block", 8L).in(f32(1, "?", 7, 7)).inferText());
  }

  @Test
  void reorderOutputInvertsReorderInput() {
    Tensor x = iota(2, 5, 3, 2);
    for (long b : new long[] {1, 2, 4, 16}) {
      Tensor back = reorderOut(reorderIn(x, b), 5);
      assertArrayEquals(x.toDoubleArray(), back.toDoubleArray(), 0.0, "block " + b);
    }
    assertEquals("f32[N, 50, 7, 7]",
        OpCall.of("ReorderOutput").attr("channels", 50L).in(f32("N", 4, 7, 7, 16)).inferText());
  }

  @Test
  void reorderErrorsNameTheProblem() {
    assertTrue(OpCall.of("ReorderInput").in(f32(1, 3, 4)).inferError().contains("rank 4"));
    assertTrue(OpCall.of("ReorderInput").attr("channels_block", 0L).in(f32(1, 3, 4, 4))
        .inferError().contains("'channels_block' must be positive"));
    String e = OpCall.of("ReorderOutput").attr("channels", 40L).in(f32(1, 4, 7, 7, 16)).inferError();
    assertTrue(e.contains("hold 49 to 64 channels, not 40"), e);
    assertTrue(OpCall.of("ReorderOutput").attr("channels", 4L).in(f32(1, 4, 7, 7))
        .inferError().contains("must be a blocked f32 tensor"));
    assertTrue(OpCall.of("ReorderOutput").in(f32(1, 1, 7, 7, 16)).problems().toString()
        .contains("needs attribute 'channels'"));
  }

  /** NchwcConv against FusedConv of the unblocked tensors, for dense and depthwise, b 4 and 16. */
  @Test
  void nchwcConvIsFusedConvBetweenReorders() {
    Random r = new Random(7);
    for (long block : new long[] {4, 16}) {
      for (boolean depthwise : new boolean[] {false, true}) {
        long c = 6;
        long m = depthwise ? 6 : 5;
        Tensor x = random(r, 2, c, 5, 6);
        Tensor w = random(r, m, depthwise ? 1 : c, 3, 3);
        Tensor b = random(r, m);
        Tensor z = random(r, 2, m, 3, 3);
        OpCall fused = OpCall.of("FusedConv").in(x).in(w).in(b).in(z).ints("strides", 2, 2)
            .ints("pads", 1, 1, 1, 0).attr("activation", "Relu");
        OpCall blocked = OpCall.of("NchwcConv").in(reorderIn(x, block)).in(w).in(b)
            .in(reorderIn(z, block)).ints("strides", 2, 2).ints("pads", 1, 1, 1, 0)
            .attr("activation", "Relu").attr("channels", c).attr("channels_block", block);
        if (depthwise) {
          fused.attr("group", c);
          blocked.attr("group", c);
        }
        Tensor expected = reorderIn(fused.eval(), block);
        Tensor y = blocked.eval();
        assertArrayEquals(expected.shape(), y.shape());
        assertArrayEquals(expected.toDoubleArray(), y.toDoubleArray(), 1e-9);
        // The pad lanes are zero (b 16 > 6 channels).
        assertEquals(0.0, y.getDouble(y.size() - 1));
      }
    }
  }

  /** An NCHW input (the first convolution of an image network): FusedConv, output blocked. */
  @Test
  void nchwcConvOfAnNchwInput() {
    Random r = new Random(9);
    Tensor x = random(r, 2, 3, 9, 8);
    Tensor w = random(r, 20, 3, 7, 7);
    Tensor b = random(r, 20);
    Tensor fused = OpCall.of("FusedConv").in(x).in(w).in(b).ints("strides", 2, 2).ints("pads", 3, 3, 3, 2)
        .attr("activation", "Relu").eval();
    Tensor y = OpCall.of("NchwcConv").in(x).in(w).in(b).ints("strides", 2, 2).ints("pads", 3, 3, 3, 2)
        .attr("activation", "Relu").attr("channels", 3L).attr("channels_block", 16L).eval();
    assertArrayEquals(reorderIn(fused, 16).toDoubleArray(), y.toDoubleArray(), 1e-9);
    assertEquals("f32[N, 2, 112, 112, 16]", OpCall.of("NchwcConv").in(f32("N", 3, 224, 224))
        .in(f32(32, 3, 3, 3)).attr("channels", 3L).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).inferText());
    String e = OpCall.of("NchwcConv").in(f32(1, 3, 8, 8)).in(f32(32, 3, 3, 3)).attr("channels", 4L).inferError();
    assertTrue(e.contains("must be the channel count of the NCHW input 0 (X)"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 3, 8, 8)).in(f32(3, 1, 3, 3)).attr("channels", 3L).attr("group", 3L)
        .inferError();
    assertTrue(e.contains("takes a dense convolution (group 1), got group 3"), e);
  }

  @Test
  void nchwcConvInfersTheBlockedOutput() {
    assertEquals("f32[N, 8, 28, 28, 16]", OpCall.of("NchwcConv").in(f32("N", 4, 56, 56, 16))
        .in(f32(128, 64, 3, 3)).attr("channels", 64L).ints("strides", 2, 2)
        .ints("pads", 1, 1, 1, 1).inferText());
  }

  @Test
  void nchwcConvErrorsNameTheProblem() {
    String e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 16)).in(f32(64, 64, 3, 3))
        .attr("channels", 64L).attr("group", 2L).inferError();
    assertTrue(e.contains("dense (group 1) or depthwise"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 16)).in(f32(64, 64, 3, 3))
        .attr("channels", 64L).attr("activation", "Sigmoid").inferError();
    assertTrue(e.contains("does not map 0 to 0"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 16)).in(f32(64, 64, 3, 3))
        .attr("channels", 80L).inferError();
    assertTrue(e.contains("not 80"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 8)).in(f32(64, 64, 3, 3))
        .attr("channels", 64L).inferError();
    assertTrue(e.contains("[N, C/16, H, W, 16]"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 16)).in(f32(64, 64, 3))
        .attr("channels", 64L).inferError();
    assertTrue(e.contains("2-D"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 16)).in(f32(64, 64, 3, 3)).absent()
        .in(f32(1, 4, 7, 8, 16)).attr("channels", 64L).ints("pads", 1, 1, 1, 1).inferError();
    assertTrue(e.contains("input 3 (Z)"), e);
    e = OpCall.of("NchwcConv").in(f32(1, 4, 8, 8, 16)).in(f32(64, 32, 3, 3))
        .attr("channels", 64L).inferError();
    assertTrue(e.contains("channel mismatch"), e);
  }

  @Test
  void nchwcPoolsPoolEveryLane() {
    Random r = new Random(3);
    Tensor x = random(r, 1, 5, 7, 6);
    Tensor bx = reorderIn(x, 4);
    Tensor max = OpCall.of("NchwcMaxPool").attr("channels_block", 4L).in(bx)
        .ints("kernel_shape", 3, 3).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).eval();
    Tensor expected = OpCall.of("MaxPool").in(x).ints("kernel_shape", 3, 3).ints("strides", 2, 2)
        .ints("pads", 1, 1, 1, 1).eval();
    assertArrayEquals(reorderIn(expected, 4).toDoubleArray(), max.toDoubleArray(), 0.0);
    Tensor avg = OpCall.of("NchwcAveragePool").attr("channels_block", 4L).in(bx)
        .ints("kernel_shape", 2, 2).attr("count_include_pad", 1L).ints("pads", 0, 0, 1, 1).eval();
    expected = OpCall.of("AveragePool").in(x).ints("kernel_shape", 2, 2)
        .attr("count_include_pad", 1L).ints("pads", 0, 0, 1, 1).eval();
    assertArrayEquals(reorderIn(expected, 4).toDoubleArray(), avg.toDoubleArray(), 1e-9);
    Tensor global = OpCall.of("NchwcGlobalAveragePool").attr("channels_block", 4L).in(bx).eval();
    expected = OpCall.of("GlobalAveragePool").in(x).eval();
    assertArrayEquals(reorderIn(expected, 4).toDoubleArray(), global.toDoubleArray(), 1e-9);
    assertEquals("f32[N, 4, 1, 1, 16]",
        OpCall.of("NchwcGlobalAveragePool").in(f32("N", 4, 7, 7, 16)).inferText());
  }

  @Test
  void nchwcPoolErrorsNameTheProblem() {
    assertTrue(OpCall.of("NchwcMaxPool").in(f32(1, 4, 7, 7)).ints("kernel_shape", 2, 2)
        .inferError().contains("must be a blocked f32 tensor"));
    assertTrue(OpCall.of("NchwcMaxPool").in(f32(1, 4, 7, 7, 16)).ints("kernel_shape", 2)
        .inferError().contains("'kernel_shape' must have 2 values"));
    assertTrue(OpCall.of("NchwcMaxPool").in(f32(1, 4, 7, 7, 16)).ints("kernel_shape", 2, 2)
        .attr("storage_order", 1L).problems().toString().contains("unknown attribute"));
    assertTrue(OpCall.of("NchwcGlobalAveragePool").in(f32(1, 4, 7, 7, 8)).inferError()
        .contains("[N, C/16, H, W, 16]"));
  }
}
