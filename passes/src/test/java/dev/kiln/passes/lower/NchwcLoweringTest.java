package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The NCHWc lowerings on the geometries of real networks (block 16, MobileNet's depthwise 3x3 at
 * stride 1 and 2, ResNet's 3x3/2 max pooling, a 7x7 depthwise beyond the spelled taps, a
 * partial last block) against the reference, and the shape of the kernels: the depthwise kernel
 * and the spelled max pooling read X in place (no bordered copy) in one parallel loop.
 */
class NchwcLoweringTest {
  private static Value node(GraphBuilder b, String op, List<Value> in, Attributes a) {
    List<Optional<TensorType>> types = new ArrayList<>();
    in.forEach(v -> types.add(Optional.of(v.type())));
    List<Optional<dev.kiln.ir.tensor.Tensor>> none = new ArrayList<>();
    in.forEach(v -> none.add(Optional.empty()));
    TensorType t = NodeInference.infer(Differential.OPS.lookup(op).orElseThrow(), a, types, none, 1)
        .types().get(0);
    return b.node(op, in, t, a);
  }

  /** x [1, C, H, W] -> ReorderInput -> NchwcConv (constant W, bias) -> output. */
  private static Graph conv(long c, long m, long h, long k, Attributes.Builder attrs, Random r) {
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, 1, c, h, h));
    Value bx = node(b, "ReorderInput", List.of(x), Attributes.EMPTY);
    long[] ws = {m, attrs.build().getInt("group", 1) == 1 ? c : 1, k, k};
    Value w = b.constant("w", finite(ws, r));
    Value bias = b.constant("b", finite(new long[] {m}, r));
    b.output(node(b, "NchwcConv", List.of(bx, w, bias), attrs.put("channels", c).build()));
    return b.build();
  }

  /** Random finite values (a constant W with infinities takes the reference-order nest). */
  private static dev.kiln.ir.tensor.Tensor finite(long[] shape, Random r) {
    double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, c) -> a * c)];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble() * 4 - 2;
    }
    return dev.kiln.ir.tensor.Tensor.ofDoubles(DType.F32, shape, v);
  }

  private static String kernelOf(LoopProgram p, String op) {
    return p.kernels().stream().filter(k -> k.toString().contains(op)).map(Kernel::toString)
        .findFirst().orElseThrow(() -> new AssertionError("no kernel of " + op + " in\n" + p));
  }

  /** Runs {@code body} with {@code -Dkiln.nchwc.depthwiseSplit=split}, then restores the default. */
  private static void withSplit(String split, Runnable body) {
    System.setProperty("kiln.nchwc.depthwiseSplit", split);
    try {
      body.run();
    } finally {
      System.clearProperty("kiln.nchwc.depthwiseSplit");
    }
  }

  @Test
  void depthwiseAtStrideOneAndTwoReadsXInPlaceInOneParallelLoop() {
    Random r = new Random(1);
    for (long stride : new long[] {1, 2}) {
      for (long c : new long[] {32, 24}) {
        Graph g = conv(c, c, 9, 3, Attributes.builder().put("group", c).putInts("pads", 1, 1, 1, 1)
            .putInts("strides", stride, stride).put("activation", "Clip")
            .putFloats("activation_params", 0f, 6f), r);
        // By default split by bands of rows, X read in place, whatever the width.
        String byRows = kernelOf(Differential.check("depthwise stride " + stride + " C " + c, g, r, false),
            "NchwcConv");
        assertFalse(byRows.contains("bordered"), byRows);
        assertEquals(1, byRows.split("parallel for", -1).length - 1, byRows);
        assertTrue(byRows.matches("(?s).*parallel for band\\d* in 0\\.\\." + (stride == 1 ? 7 : 3) + " \\{.*"), byRows);
        String[] kernel = new String[1];
        withSplit("blocks", () -> kernel[0] = kernelOf(Differential.check("depthwise by blocks, stride " + stride
            + " C " + c, g, r, false), "NchwcConv"));
        // By blocks, narrow padded stride-1 layers take the bordered copy, the others the clipped nest.
        assertEquals(stride == 1, kernel[0].contains("bordered"), kernel[0]);
        if (stride == 2) {
          assertEquals(1, kernel[0].split("parallel for", -1).length - 1, kernel[0]);
        }
        // Constant weights and bias are packed at compile time: constants, not per-run copies.
        assertTrue(byRows.matches("(?s).*const %\\S*packed_w.*const %\\S*packed_b.*")
            || byRows.matches("(?s).*const %\\S*packed_b.*const %\\S*packed_w.*"), byRows);
      }
    }
  }

  @Test
  void depthwiseClipsItsTapsAtEveryGeometryAndUnroll() {
    Random r = new Random(6);
    // {channels, size, kernel, stride, dilation, pads top, left, bottom, right}
    long[][] geometries = {
        {20, 7, 3, 1, 1, 1, 1, 1, 1}, {17, 10, 5, 2, 1, 2, 1, 0, 2}, {16, 9, 3, 1, 2, 2, 2, 2, 2},
        {5, 2, 3, 1, 1, 1, 1, 1, 1}, {33, 12, 3, 2, 1, 1, 1, 1, 1}, {3, 6, 3, 3, 1, 0, 0, 0, 0},
        {18, 11, 1, 1, 1, 0, 0, 0, 0}, {7, 4, 5, 1, 1, 4, 4, 4, 4}};
    try {
      // By rows (the default, X in place whatever the width); by blocks clipped (X in place) at
      // every width, then the bordered copy for every padded stride-1 one.
      for (String minWidth : new String[] {"rows", "0", "1000"}) {
        if (minWidth.equals("rows")) {
          System.clearProperty("kiln.nchwc.depthwiseSplit");
        } else {
          System.setProperty("kiln.nchwc.depthwiseSplit", "blocks");
          System.setProperty("kiln.nchwc.clippedMinWidth", minWidth);
        }
        for (int unroll : new int[] {1, 2, 4}) {
          System.setProperty("kiln.nchwc.unroll", Integer.toString(unroll));
          for (long[] g : geometries) {
            Graph graph = conv(g[0], g[0], g[1], g[2], Attributes.builder().put("group", g[0])
                .putInts("strides", g[3], g[3]).putInts("dilations", g[4], g[4])
                .putInts("pads", g[5], g[6], g[7], g[8]).put("activation", "Relu"), r);
            LoopProgram p = Differential.check("depthwise " + java.util.Arrays.toString(g)
                + " unroll " + unroll + " clippedMinWidth " + minWidth, graph, r, false);
            String kernel = kernelOf(p, "NchwcConv");
            boolean padded = g[5] + g[6] + g[7] + g[8] > 0;
            assertEquals(minWidth.equals("1000") && padded && g[3] == 1, kernel.contains("bordered"), kernel);
            if (!kernel.contains("bordered")) {
              assertEquals(1, kernel.split("parallel for", -1).length - 1, kernel);
            }
            assertEquals(minWidth.equals("rows"), kernel.matches("(?s).*parallel for band\\d* in .*"), kernel);
          }
        }
      }
    } finally {
      System.clearProperty("kiln.nchwc.unroll");
      System.clearProperty("kiln.nchwc.clippedMinWidth");
      System.clearProperty("kiln.nchwc.depthwiseSplit");
    }
  }

  @Test
  void depthwiseBorderedCopyPerChannelBlockIsOneParallelLoop() {
    Random r = new Random(9);
    // {channels, size, kernel, dilation, pads top, left, bottom, right}: partial and several
    // blocks, widths not a multiple of the unroll, asymmetric pads, a 5x5, an image of 2x2.
    long[][] geometries = {
        {20, 7, 3, 1, 1, 1, 1, 1}, {33, 14, 3, 1, 1, 1, 1, 1}, {8, 9, 3, 1, 0, 1, 1, 0},
        {17, 10, 5, 1, 2, 2, 2, 2}, {16, 9, 3, 2, 2, 2, 2, 2}, {5, 2, 3, 1, 1, 1, 1, 1}};
    try {
      System.setProperty("kiln.nchwc.depthwiseSplit", "blocks");
      for (String perBlock : new String[] {"true", "false"}) {
        System.setProperty("kiln.nchwc.borderPerBlock", perBlock);
        for (int unroll : new int[] {1, 4}) {
          System.setProperty("kiln.nchwc.unroll", Integer.toString(unroll));
          for (long[] g : geometries) {
            Graph graph = conv(g[0], g[0], g[1], g[2], Attributes.builder().put("group", g[0])
                .putInts("dilations", g[3], g[3]).putInts("pads", g[4], g[5], g[6], g[7])
                .put("activation", "Clip").putFloats("activation_params", 0f, 6f), r);
            String what = "depthwise " + java.util.Arrays.toString(g) + " unroll " + unroll
                + " borderPerBlock " + perBlock;
            String kernel = kernelOf(Differential.check(what, graph, r, false), "NchwcConv");
            assertTrue(kernel.contains("bordered"), what + "\n" + kernel);
            // Per block: the copy inside the one parallel loop; else nests of its own before it
            // (which the schedule pass parallelizes).
            assertEquals(1, kernel.split("parallel for", -1).length - 1, what + "\n" + kernel);
            assertEquals(perBlock.equals("true"),
                kernel.indexOf("parallel for") < kernel.indexOf(".bordered["), what + "\n" + kernel);
          }
        }
      }
    } finally {
      System.clearProperty("kiln.nchwc.borderPerBlock");
      System.clearProperty("kiln.nchwc.unroll");
      System.clearProperty("kiln.nchwc.depthwiseSplit");
    }
  }

  @Test
  void depthwiseWithWeightsFromAnInputSkipsThePaddedTaps() {
    // W is not a compile-time constant (could hold infinities): the clipped kernel never
    // multiplies a weight by a padding zero, so it serves padded layers too.
    Random r = new Random(7);
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, 1, 20, 8, 8));
    Value w = b.input("w", TensorType.of(DType.F32, 20, 1, 3, 3));
    Value bx = node(b, "ReorderInput", List.of(x), Attributes.EMPTY);
    b.output(node(b, "NchwcConv", List.of(bx, w), Attributes.builder().put("group", 20L)
        .putInts("pads", 1, 1, 1, 1).put("channels", 20L).build()));
    LoopProgram p = Differential.check("depthwise, W an input", b.build(), r, false);
    String kernel = kernelOf(p, "NchwcConv");
    assertFalse(kernel.contains("bordered"), kernel);
  }

  @Test
  void depthwiseBeyondTheSpelledTapsAccumulates() {
    Random r = new Random(2);
    Graph g = conv(20, 20, 9, 7, Attributes.builder().put("group", 20L).putInts("pads", 3, 3, 3, 3), r);
    Differential.check("depthwise 7x7", g, r, false);
  }

  @Test
  void denseFallsBackToTheReferenceOrderNest() {
    Random r = new Random(3);
    Graph g = conv(8, 20, 6, 3, Attributes.builder().putInts("pads", 1, 1, 1, 1)
        .putInts("strides", 2, 2).put("activation", "Relu"), r);
    Differential.check("dense 3x3/2", g, r, false);
  }

  @Test
  void maxPoolThreeByThreeStrideTwoIsSpelled() {
    Random r = new Random(4);
    for (long[] g : new long[][] {{11, 3, 2, 1, 0}, {12, 3, 2, 1, 1}, {7, 2, 2, 0, 1}, {9, 5, 1, 2, 0}}) {
      // {size, kernel, stride, pad, ceil_mode}
      GraphBuilder b = Graph.builder("t");
      Value x = b.input("x", TensorType.of(DType.F32, 1, 2, g[0], g[0], 16));
      b.output(node(b, "NchwcMaxPool", List.of(x), Attributes.builder()
          .putInts("kernel_shape", g[1], g[1]).putInts("strides", g[2], g[2])
          .putInts("pads", g[3], g[3], g[3], g[3]).put("ceil_mode", g[4]).build()));
      LoopProgram p = Differential.check("max pool " + java.util.Arrays.toString(g), b.build(), r, false);
      String kernel = kernelOf(p, "NchwcMaxPool");
      assertFalse(kernel.contains("bordered"), kernel);
      assertEquals(1, kernel.split("parallel for", -1).length - 1, kernel);
    }
  }

  @Test
  void reordersRoundTripWithAPartialBlock() {
    Random r = new Random(5);
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, 2, 20, 3, 5));
    Value bx = node(b, "ReorderInput", List.of(x), Attributes.EMPTY);
    b.output(bx);
    b.output(node(b, "ReorderOutput", List.of(bx), Attributes.builder().put("channels", 20L).build()));
    LoopProgram p = Differential.check("reorders", b.build(), r, false);
    // One parallel loop each, the partial block a branch of it.
    assertEquals(1, kernelOf(p, "ReorderInput").split("parallel for", -1).length - 1);
    assertEquals(1, kernelOf(p, "ReorderOutput").split("parallel for", -1).length - 1);
  }
}
