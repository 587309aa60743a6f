package dev.kiln.passes.lower.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.lower.LoweringRegistry;
import dev.kiln.passes.lower.TestLowering;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Winograd on the blocked layout ({@link NchwcWinogradConv}), interpreted, against the reference
 * NchwcConv: odd sizes that leave partial tiles at the bottom and right, channel counts that are
 * not multiples of the block, pads 0, 1, 2 and asymmetric, batch 2, chunks that split the tiles
 * unevenly, bias, residual and ReLU.
 *
 * <p>Tolerance, derived as WinogradLoweringTest's: the kernel is within
 * {@code gamma(C + 21) (S_w + |b| + |z|)} of the exact result ({@link WinogradConv#errorBound}
 * gives the first term), the reference within {@code gamma(9 C + 2) (S + |b| + |z|)}, S the
 * direct convolution of |x| and |w| (a float sum of 9C products, then bias and residual, at
 * worst); ReLU does not widen the difference. The test checks their sum, per output.
 */
class NchwcWinogradConvTest {
  static final OpRegistry OPS = OpRegistry.standard();
  static final long B = 16;

  record Case(String name, long n, long c, long m, long h, long w, long[] pads, boolean residual,
      boolean relu, long tilesPerChunk) {}

  @Test
  void matchesTheReferenceWithinTheTransformBound() {
    List<Case> cases = List.of(
        new Case("C 16 M 16 8x8 pad 1", 1, 16, 16, 8, 8, new long[] {1, 1, 1, 1}, false, false, 0),
        new Case("C 5 M 20 9x11 pad 1 residual relu", 1, 5, 20, 9, 11, new long[] {1, 1, 1, 1}, true, true, 0),
        new Case("C 17 M 7 13x10 pads 1,0,0,1 batch 2", 2, 17, 7, 13, 10, new long[] {1, 0, 0, 1}, false, true, 0),
        new Case("C 33 M 18 7x5 pad 0, 3 tiles a chunk", 1, 33, 18, 7, 5, new long[] {0, 0, 0, 0}, true, false, 3),
        new Case("C 8 M 32 6x7 pads 2,1,0,2 batch 2, 5 tiles a chunk", 2, 8, 32, 6, 7, new long[] {2, 1, 0, 2},
            true, true, 5),
        new Case("C 3 M 1 3x3 pad 0 (one output)", 1, 3, 1, 3, 3, new long[] {0, 0, 0, 0}, false, false, 0));
    for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
      for (Case c : cases) {
        check(c, tile);
      }
    }
  }

  @Test
  void supportsOnlyThreeByThreeStrideOneWithConstantWeights() {
    Random r = new Random(1);
    NchwcConvOperands ok = NchwcTestOperands.operands(1, 16, 16, 8, 8, 3, 1, Optional.of(finite(
        new long[] {16, 16, 3, 3}, r)));
    assertTrue(NchwcWinogradConv.supports(ok));
    assertFalse(NchwcWinogradConv.supports(NchwcTestOperands.operands(1, 16, 16, 8, 8, 3, 2,
        Optional.of(finite(new long[] {16, 16, 3, 3}, r)))));
    assertFalse(NchwcWinogradConv.supports(NchwcTestOperands.operands(1, 16, 16, 8, 8, 5, 1,
        Optional.of(finite(new long[] {16, 16, 5, 5}, r)))));
    NchwcConvOperands variable = NchwcTestOperands.operands(1, 16, 16, 8, 8, 3, 1, Optional.empty());
    assertFalse(NchwcWinogradConv.supports(variable));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NchwcWinogradConv.lower(TestLowering.context("NchwcConv"), variable, WinogradConv.Tile.F4));
    assertTrue(e.getMessage().contains("constant finite weights"), e.getMessage());
  }

  @Test
  void theCostModelPicksWinogradForResNetsThreeByThreeLayers() {
    Random r = new Random(2);
    // ResNet-18 in the network (docs/performance.md): with all tiles in one chunk F(4x4) wins at
    // 56², 28² and 14² (the 56² layers 1.8 -> 0.7 to 1.1 ms on 1 thread), not at 7².
    long[][] layers = {{64, 56}, {128, 28}, {256, 14}, {512, 7}};
    List<Optional<WinogradConv.Tile>> chosen = new ArrayList<>();
    for (long[] layer : layers) {
      NchwcConvOperands op = NchwcTestOperands.operands(1, layer[0], layer[0], layer[1], layer[1], 3, 1,
          Optional.of(finite(new long[] {layer[0], layer[0], 3, 3}, r)));
      chosen.add(ConvCostModel.nchwcWinograd(op));
    }
    assertEquals(List.of(Optional.of(WinogradConv.Tile.F4), Optional.of(WinogradConv.Tile.F4),
        Optional.of(WinogradConv.Tile.F4), Optional.empty()), chosen);
    // The direct kernel reads a bordered copy below 28 columns: 100 multiply-adds per ns there, 80
    // elsewhere; at 14² F(4x4) still wins by the model, at 7² the direct kernel.
    NchwcConvOperands narrow = NchwcTestOperands.operands(1, 512, 512, 7, 7, 3, 1,
        Optional.of(finite(new long[] {512, 512, 3, 3}, r)));
    assertEquals(115_605_504 / 100.0, ConvCostModel.nchwcDirect(narrow), 1e-6);
    // Few channels: the transforms cost more than the multiply-adds they save.
    NchwcConvOperands thin = NchwcTestOperands.operands(1, 8, 8, 56, 56, 3, 1,
        Optional.of(finite(new long[] {8, 8, 3, 3}, r)));
    assertEquals(Optional.empty(), ConvCostModel.nchwcWinograd(thin));
  }

  @Test
  void withWeightsResidentInCacheF2WinsAt7SquaredAndTheOtherChoicesStay() {
    Random r = new Random(3);
    NchwcConvOperands at7 = NchwcTestOperands.operands(1, 512, 512, 7, 7, 3, 1,
        Optional.of(finite(new long[] {512, 512, 3, 3}, r)));
    // A network's cold weights (ResNet-18: 46 MB): the direct kernel; the layer alone (9.4 MB):
    // F(2x2), whose 16.8 MB of U then stay in the L3 between runs.
    assertEquals(Optional.empty(), ConvCostModel.nchwcWinograd(at7, false));
    assertEquals(Optional.of(WinogradConv.Tile.F2), ConvCostModel.nchwcWinograd(at7, true));
    assertTrue(ConvCostModel.weightsResident(512L * 512 * 9 * 4));
    assertFalse(ConvCostModel.weightsResident(46_000_000L));
    assertFalse(ConvCostModel.weightsResident(Long.MAX_VALUE));
    // Resident or not, the larger images keep F(4x4), and few channels keep the direct kernel.
    for (long[] layer : new long[][] {{64, 56}, {128, 28}, {256, 14}}) {
      NchwcConvOperands op = NchwcTestOperands.operands(1, layer[0], layer[0], layer[1], layer[1], 3, 1,
          Optional.of(finite(new long[] {layer[0], layer[0], 3, 3}, r)));
      assertEquals(Optional.of(WinogradConv.Tile.F4), ConvCostModel.nchwcWinograd(op, true), layer[1] + "²");
    }
    NchwcConvOperands thin = NchwcTestOperands.operands(1, 8, 8, 56, 56, 3, 1,
        Optional.of(finite(new long[] {8, 8, 3, 3}, r)));
    assertEquals(Optional.empty(), ConvCostModel.nchwcWinograd(thin, true));
  }

  @Test
  void theStandardLoweringChoosesAndForcesPerLayer() {
    assertEquals(List.of(36L, 128L, 128L), transformedWeights(""), "the cost model's F(4x4) at 128@16");
    assertEquals(List.of(16L, 128L, 128L), transformedWeights("WINOGRAD_F2"));
    assertEquals(List.of(), transformedWeights("DIRECT"));
  }

  @Test
  void anNchwInputIsLeftToTheDirectKernelEvenWhenWinogradIsForced() {
    // The first convolution of an image network reads its NCHW input (no lane axis to transform).
    assertEquals(List.of(), transformedWeights("WINOGRAD_F4", 3, false));
  }

  private static List<Long> transformedWeights(String forced) {
    return transformedWeights(forced, 128, true);
  }

  /**
   * The shape of the transformed weights of a C -> 128 @16 NchwcConv lowered by the standard
   * registry (none: not Winograd); its input blocked by a ReorderInput or left NCHW.
   */
  private static List<Long> transformedWeights(String forced, long c, boolean blockedInput) {
    Random r = new Random(4);
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, 1, c, 16, 16));
    Value bx = blockedInput ? node(b, "ReorderInput", List.of(x), Attributes.EMPTY) : x;
    b.output(node(b, "NchwcConv", List.of(bx, b.constant("w", finite(new long[] {128, c, 3, 3}, r)),
        b.constant("b", finite(new long[] {128}, r))),
        Attributes.builder().putInts("pads", new long[] {1, 1, 1, 1}).put("channels", c).build()));
    String old = System.getProperty(ConvLowerings.FORCE_PROPERTY);
    try {
      if (!forced.isEmpty()) {
        System.setProperty(ConvLowerings.FORCE_PROPERTY, forced);
      }
      LoopProgram p = GraphToLoops.lower(BindShapes.bind(b.build(), Map.of("x", new long[] {1, c, 16, 16})));
      return p.constants().keySet().stream().filter(u -> u.name().endsWith(".u")).findFirst()
          .<List<Long>>map(u -> u.shape()).orElse(List.of());
    } finally {
      if (old == null) {
        System.clearProperty(ConvLowerings.FORCE_PROPERTY);
      } else {
        System.setProperty(ConvLowerings.FORCE_PROPERTY, old);
      }
    }
  }

  @Test
  void aBadTilesPerChunkIsAClearError() {
    String old = System.getProperty(NchwcWinogradConv.TILES_PROPERTY);
    System.setProperty(NchwcWinogradConv.TILES_PROPERTY, "many");
    try {
      Random r = new Random(3);
      NchwcConvOperands op = NchwcTestOperands.operands(1, 16, 16, 8, 8, 3, 1,
          Optional.of(finite(new long[] {16, 16, 3, 3}, r)));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> NchwcWinogradConv.Plan.of(op, WinogradConv.Tile.F2));
      assertTrue(e.getMessage().contains("kiln.winograd.tiles=many is not a number"), e.getMessage());
    } finally {
      if (old == null) {
        System.clearProperty(NchwcWinogradConv.TILES_PROPERTY);
      } else {
        System.setProperty(NchwcWinogradConv.TILES_PROPERTY, old);
      }
    }
  }

  /**
   * The kernel's variants ({@code -Dkiln.winograd.split}, {@code -Dkiln.winograd.borderPerBlock},
   * {@code -Dkiln.winograd.transformSplit}) compute the same: output channel blocks even (2, 4:
   * the GEMMs split by column groups) and odd (3: by positions), partial tiles (and tile ranges
   * of unequal length), pads, batch 2, chunks.
   */
  @Test
  void theSplitAndBorderVariantsMatchTheReference() {
    List<Case> cases = List.of(
        new Case("C 20 M 32 9x7 pad 1 residual relu batch 2", 2, 20, 32, 9, 7, new long[] {1, 1, 1, 1}, true, true, 0),
        new Case("C 16 M 64 6x6 pads 0,1,2,0", 1, 16, 64, 6, 6, new long[] {0, 1, 2, 0}, false, true, 0),
        new Case("C 9 M 40 5x8 pad 1 (3 blocks)", 1, 9, 40, 5, 8, new long[] {1, 1, 1, 1}, true, false, 0),
        new Case("C 7 M 17 10x9 pad 2, 4 tiles a chunk", 1, 7, 17, 10, 9, new long[] {2, 2, 2, 2}, true, true, 4));
    for (String split : List.of("columns", "positions")) {
      for (String perBlock : List.of("true", "false")) {
        for (String transform : List.of("tiles", "blocks")) {
          withProperties(Map.of(NchwcWinogradConv.SPLIT_PROPERTY, split,
              NchwcWinogradConv.BORDER_PER_BLOCK_PROPERTY, perBlock,
              NchwcWinogradConv.TRANSFORM_SPLIT_PROPERTY, transform), () -> {
                for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
                  for (Case c : cases) {
                    check(c, tile);
                  }
                }
              });
        }
      }
    }
  }

  /**
   * With all tiles in one chunk the kernel is four parallel loops (the bordered planes over input
   * blocks; the input transform over ranges of tiles; the GEMMs over groups of positions; the
   * output transform over output blocks); three with the transform over input blocks (each
   * block's planes made inside it), two when the GEMMs are also split by column groups (GEMMs
   * and output transform together), eight with the bordered copy as nests of its own before the
   * chunks (four border fills, the copy, the input transform, the GEMMs, the output transform).
   */
  @Test
  void oneChunkIsFourParallelLoops() {
    assertEquals(4, parallelLoops(Map.of()));
    assertEquals(3, parallelLoops(Map.of(NchwcWinogradConv.TRANSFORM_SPLIT_PROPERTY, "blocks")));
    assertEquals(2, parallelLoops(Map.of(NchwcWinogradConv.TRANSFORM_SPLIT_PROPERTY, "blocks",
        NchwcWinogradConv.SPLIT_PROPERTY, "columns")));
    assertEquals(8, parallelLoops(Map.of(NchwcWinogradConv.TRANSFORM_SPLIT_PROPERTY, "blocks",
        NchwcWinogradConv.BORDER_PER_BLOCK_PROPERTY, "false")));
    assertEquals(8, parallelLoops(Map.of(NchwcWinogradConv.BORDER_PER_BLOCK_PROPERTY, "false")));
  }

  @Test
  void aBadSplitIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> parallelLoops(Map.of(NchwcWinogradConv.SPLIT_PROPERTY, "rows")));
    assertTrue(e.getMessage().contains("kiln.winograd.split=rows is not columns or positions"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> parallelLoops(Map.of(NchwcWinogradConv.TRANSFORM_SPLIT_PROPERTY, "rows")));
    assertTrue(e.getMessage().contains("kiln.winograd.transformSplit=rows is not tiles or blocks"), e.getMessage());
  }

  /** Parallel loops of more than one iteration in the kernel of a 32 -> 64 @8x8 F(4x4) conv. */
  private static int parallelLoops(Map<String, String> properties) {
    Random r = new Random(5);
    NchwcConvOperands op = NchwcTestOperands.operands(1, 32, 64, 8, 8, 3, 1,
        Optional.of(finite(new long[] {64, 32, 3, 3}, r)));
    int[] count = {0};
    withProperties(properties, () -> count[0] = parallelLoops(
        NchwcWinogradConv.lower(TestLowering.context("NchwcConv"), op, WinogradConv.Tile.F4)));
    return count[0];
  }

  private static int parallelLoops(dev.kiln.ir.loop.Stmt s) {
    return switch (s) {
      case dev.kiln.ir.loop.Stmt.For f -> (f.kind() == dev.kiln.ir.loop.LoopKind.PARALLEL && f.extent() > 1 ? 1 : 0)
          + parallelLoops(f.body());
      case dev.kiln.ir.loop.Stmt.Block b -> b.stmts().stream().mapToInt(NchwcWinogradConvTest::parallelLoops).sum();
      case dev.kiln.ir.loop.Stmt.If i -> parallelLoops(i.then()) + i.otherwise().map(NchwcWinogradConvTest::parallelLoops)
          .orElse(0);
      default -> 0;
    };
  }

  /** Runs {@code body} with the system properties set, then restores them. */
  static void withProperties(Map<String, String> properties, Runnable body) {
    Map<String, String> old = new LinkedHashMap<>();
    properties.forEach((k, v) -> {
      old.put(k, System.getProperty(k));
      System.setProperty(k, v);
    });
    try {
      body.run();
    } finally {
      old.forEach((k, v) -> {
        if (v == null) {
          System.clearProperty(k);
        } else {
          System.setProperty(k, v);
        }
      });
    }
  }

  private static Value node(GraphBuilder b, String op, List<Value> in, Attributes a) {
    List<Optional<TensorType>> types = new ArrayList<>();
    in.forEach(v -> types.add(Optional.of(v.type())));
    List<Optional<Tensor>> none = new ArrayList<>();
    in.forEach(v -> none.add(Optional.empty()));
    TensorType t = NodeInference.infer(OPS.lookup(op).orElseThrow(), a, types, none, 1).types().get(0);
    return b.node(op, in, t, a);
  }

  private static void check(Case c, WinogradConv.Tile tile) {
    Random r = new Random(c.name().hashCode());
    Tensor w = finite(new long[] {c.m(), c.c(), 3, 3}, r);
    Tensor bias = finite(new long[] {c.m()}, r);
    long oh = c.h() + c.pads()[0] + c.pads()[2] - 2;
    long ow = c.w() + c.pads()[1] + c.pads()[3] - 2;
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, c.n(), c.c(), c.h(), c.w()));
    List<Value> ins = new ArrayList<>(List.of(node(b, "ReorderInput", List.of(x), Attributes.EMPTY),
        b.constant("w", w), b.constant("b", bias)));
    if (c.residual()) {
      Value z = b.input("z", TensorType.of(DType.F32, c.n(), c.m(), oh, ow));
      ins.add(node(b, "ReorderInput", List.of(z), Attributes.EMPTY));
    }
    Attributes.Builder attrs = Attributes.builder().putInts("pads", c.pads()).put("channels", c.c());
    if (c.relu()) {
      attrs.put("activation", "Relu");
    }
    Value y = node(b, "NchwcConv", ins, attrs.build());
    b.output(node(b, "ReorderOutput", List.of(y), Attributes.builder().put("channels", c.m()).build()));
    Graph g = b.build();

    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("x", finite(new long[] {c.n(), c.c(), c.h(), c.w()}, r));
    if (c.residual()) {
      in.put("z", finite(new long[] {c.n(), c.m(), oh, ow}, r));
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    in.forEach((k, v) -> shapes.put(k, v.shape()));
    Tensor expected = new ReferenceInterpreter(g, OPS).run(in).values().iterator().next();
    LoweringRegistry winograd = LoweringRegistry.standard().replacing("NchwcConv",
        ctx -> NchwcWinogradConv.lower(ctx, NchwcLowerings.operands(ctx), tile));
    String old = System.getProperty(NchwcWinogradConv.TILES_PROPERTY);
    LoopProgram p;
    try {
      if (c.tilesPerChunk() > 0) {
        System.setProperty(NchwcWinogradConv.TILES_PROPERTY, Long.toString(c.tilesPerChunk()));
      }
      p = GraphToLoops.lower(BindShapes.bind(g, shapes), winograd);
    } finally {
      if (old == null) {
        System.clearProperty(NchwcWinogradConv.TILES_PROPERTY);
      } else {
        System.setProperty(NchwcWinogradConv.TILES_PROPERTY, old);
      }
    }
    assertTrue(p.constants().keySet().stream().anyMatch(x2 -> x2.name().endsWith(".u")), "not Winograd:\n" + p);
    Tensor actual = LoopInterpreter.run(p, in).values().iterator().next();

    double[] sw = WinogradConv.errorBound(tile, in.get("x"), w, new long[] {c.pads()[0], c.pads()[1]}, oh, ow);
    double gw = WinogradConv.gamma(c.c() + 21);
    double gr = WinogradConv.gamma(9 * c.c() + 2);
    Tensor xs = in.get("x");
    for (int n = 0; n < c.n(); n++) {
      for (int o = 0; o < c.m(); o++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            long at = ((n * c.m() + o) * oh + i) * ow + j;
            double s = 0;
            for (int ch = 0; ch < c.c(); ch++) {
              for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                  long ih = i + kh - c.pads()[0];
                  long iw = j + kw - c.pads()[1];
                  if (ih >= 0 && ih < c.h() && iw >= 0 && iw < c.w()) {
                    s += Math.abs(xs.getDouble(((n * c.c() + ch) * c.h() + ih) * c.w() + iw)
                        * w.getDouble(((o * c.c() + ch) * 3 + kh) * 3 + kw));
                  }
                }
              }
            }
            double extra = Math.abs(bias.getDouble(o)) + (c.residual() ? Math.abs(in.get("z").getDouble(at)) : 0);
            double bound = sw[(int) at] + gw * extra + gr * (s + extra);
            double e = expected.getDouble(at);
            double a = actual.getDouble(at);
            assertTrue(Math.abs(e - a) <= bound, tile + " " + c.name() + ": output (" + n + ", " + o + ", " + i
                + ", " + j + ") expected " + e + " got " + a + " (bound " + bound + ")");
          }
        }
      }
    }
  }

  static Tensor finite(long[] shape, Random r) {
    double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, c) -> a * c)];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble() * 4 - 2;
    }
    return Tensor.ofDoubles(DType.F32, shape, v);
  }
}
