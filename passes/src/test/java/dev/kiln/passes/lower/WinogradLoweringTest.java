package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.nn.ConvEpilogue;
import dev.kiln.passes.lower.nn.ConvLowerings;
import dev.kiln.passes.lower.nn.ConvLowerings.Algorithm;
import dev.kiln.passes.lower.nn.WinogradConv;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) ({@link WinogradConv}, forced through
 * {@link ConvLowerings#lower(LoweringContext, ConvEpilogue, Optional)}) against the reference
 * interpreter: channel counts that are not multiples of 4 or 16, odd sizes that leave partial
 * tiles, pads 0, 1 and asymmetric, batch 2, and FusedConv's bias, residual and ReLU.
 *
 * <p>Tolerance, from the transforms (see WinogradConv's class comment): the lowered result is
 * within {@code gamma(C + 21) * (S_w + |b| + |z|)} of the exact one, where {@code S_w = |A^T|
 * [sum over c (|G||w_c||G^T|) (.) (|B^T||d_c||B|)] |A|} per output tile, {@code gamma(n) = n u /
 * (1 - n u)}, u = 2^-24; the reference (double sums, rounded once or twice) is within
 * {@code gamma(2) (S + |b| + |z|)} of the exact one, S the direct convolution of |x| and |w|. The
 * test computes both per output and checks their sum.
 */
class WinogradLoweringTest {
  static final double U = 0x1p-24;

  record Spec(String name, long[] x, long m, long[] pads, boolean bias, boolean fused) {}

  static List<Spec> specs() {
    List<Spec> s = new ArrayList<>();
    s.add(new Spec("C 5 M 6 9x11 pad 1 bias", dims(1, 5, 9, 11), 6, dims(1, 1, 1, 1), true, false));
    s.add(new Spec("C 3 M 7 7x9 pad 0 batch 2", dims(2, 3, 7, 9), 7, dims(0, 0, 0, 0), false, false));
    s.add(new Spec("C 17 M 18 13x10 pads 1,0,0,1", dims(1, 17, 13, 10), 18, dims(1, 0, 0, 1), true, false));
    s.add(new Spec("C 1 M 1 3x3 pad 0 (one output)", dims(1, 1, 3, 3), 1, dims(0, 0, 0, 0), false, false));
    s.add(new Spec("C 2 M 3 4x5 pads 2,1,0,2", dims(1, 2, 4, 5), 3, dims(2, 1, 0, 2), true, false));
    s.add(new Spec("fused: C 6 M 5 8x8 pad 1 batch 2, bias, residual, relu", dims(2, 6, 8, 8), 5,
        dims(1, 1, 1, 1), true, true));
    s.add(new Spec("fused: C 9 M 4 11x6 pad 0, residual, relu", dims(1, 9, 11, 6), 4, dims(0, 0, 0, 0),
        false, true));
    return s;
  }

  static long[] dims(long... d) {
    return d;
  }

  @TestFactory
  Stream<DynamicTest> winogradMatchesTheReferenceWithinTheTransformBound() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Algorithm a : List.of(Algorithm.WINOGRAD_F2, Algorithm.WINOGRAD_F4)) {
      for (Spec spec : specs()) {
        tests.add(DynamicTest.dynamicTest(a + " " + spec.name(), () -> check(spec, a)));
      }
    }
    return tests.stream();
  }

  /** The transform matrices compute the correlation (ONNX's convolution) exactly, in double. */
  @Test
  void transformMatricesComputeTheCorrelation() {
    Random rnd = new Random(3);
    for (WinogradConv.Tile tile : WinogradConv.Tile.values()) {
      double[][][] mats = tile.matrices();
      double[][] bt = mats[0];
      double[][] g = mats[1];
      double[][] at = mats[2];
      int a = tile.alpha();
      int m = tile.m;
      double[][] d = new double[a][a];
      double[][] w = new double[3][3];
      for (double[] r : d) {
        for (int i = 0; i < a; i++) {
          r[i] = rnd.nextDouble() * 2 - 1;
        }
      }
      for (double[] r : w) {
        for (int i = 0; i < 3; i++) {
          r[i] = rnd.nextDouble() * 2 - 1;
        }
      }
      double[][] u = mul(mul(g, w), transpose(g));
      double[][] v = mul(mul(bt, d), transpose(bt));
      double[][] prod = new double[a][a];
      for (int i = 0; i < a; i++) {
        for (int j = 0; j < a; j++) {
          prod[i][j] = u[i][j] * v[i][j];
        }
      }
      double[][] y = mul(mul(at, prod), transpose(at));
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          double direct = 0;
          for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 3; k++) {
              direct += d[i + r][j + k] * w[r][k];
            }
          }
          assertEquals(direct, y[i][j], 1e-12, tile + " output " + i + ", " + j);
        }
      }
    }
  }

  @Test
  void transformedWeightsAreAConstantOfTheProgramAndThePlanesScratch() {
    Spec spec = specs().get(0);
    LoopProgram p = lower(spec, Algorithm.WINOGRAD_F4, new Random(1));
    Buffer u = p.constants().keySet().stream().filter(b -> b.name().equals("y.u")).findFirst().orElseThrow();
    assertEquals(BufferRole.CONSTANT, u.role());
    assertEquals(List.of(36L, 6L, 5L), u.shape());
    assertTrue(p.scratch().stream().anyMatch(b -> b.name().equals("y.phases")), p.toString());
    assertTrue(p.toString().contains("matmul "), p.toString());
  }

  @Test
  void aForcedAlgorithmThatDoesNotApplyFallsBackToTheChoice() {
    // Stride 2: Winograd does not apply, im2col computes it.
    Random rnd = new Random(4);
    Attributes attrs = Attributes.builder().putInts("strides", dims(2, 2)).putInts("pads", dims(1, 1, 1, 1)).build();
    Graph g = convGraph(dims(1, 3, 7, 7), 4, attrs, ConvLoweringTest.finite(dims(4, 3, 3, 3), rnd), false, false);
    LoopProgram p = GraphToLoops.lower(BindShapes.bind(g, Map.of("x", dims(1, 3, 7, 7))), forcing(Algorithm.WINOGRAD_F4));
    assertTrue(p.scratch().stream().anyMatch(b -> b.name().endsWith(".col")), p.toString());
    assertFalse(p.constants().keySet().stream().anyMatch(b -> b.name().equals("y.u")));
  }

  @Test
  void anUnknownForcedAlgorithmIsAClearError() {
    String old = System.getProperty(ConvLowerings.FORCE_PROPERTY);
    System.setProperty(ConvLowerings.FORCE_PROPERTY, "winograd_f8");
    try {
      Random rnd = new Random(5);
      Graph g = convGraph(dims(1, 2, 5, 5), 2, Attributes.EMPTY, ConvLoweringTest.finite(dims(2, 2, 3, 3), rnd),
          false, false);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> GraphToLoops.lower(BindShapes.bind(g, Map.of("x", dims(1, 2, 5, 5)))));
      assertTrue(e.getMessage().contains("kiln.conv.algorithm=winograd_f8 names no convolution algorithm"),
          e.getMessage());
    } finally {
      if (old == null) {
        System.clearProperty(ConvLowerings.FORCE_PROPERTY);
      } else {
        System.setProperty(ConvLowerings.FORCE_PROPERTY, old);
      }
    }
  }

  @Test
  void theCostModelPicksPerLayer() {
    Random rnd = new Random(6);
    Attributes pad1 = Attributes.builder().putInts("pads", dims(1, 1, 1, 1)).build();
    assertEquals(Algorithm.WINOGRAD_F4, chosen(dims(1, 64, 56, 56), 64, pad1, rnd));
    assertEquals(Algorithm.WINOGRAD_F4, chosen(dims(1, 128, 28, 28), 128, pad1, rnd));
    assertEquals(Algorithm.WINOGRAD_F2, chosen(dims(1, 256, 14, 14), 256, pad1, rnd));
    // 7x7: 6 tile slots per F(4x4) position, 20 per F(2x2), each a GEMM panel of 32 columns.
    assertEquals(Algorithm.IM2COL_GEMM, chosen(dims(1, 512, 7, 7), 512, pad1, rnd));
    assertEquals(Algorithm.IM2COL_GEMM, chosen(dims(1, 3, 9, 9), 4, pad1, rnd));
  }

  private static Algorithm chosen(long[] x, long m, Attributes attrs, Random rnd) {
    Graph g = convGraph(x, m, attrs, ConvLoweringTest.finite(dims(m, x[1], 3, 3), rnd), false, false);
    Algorithm[] seen = new Algorithm[1];
    LoweringRegistry spy = LoweringRegistry.standard().replacing("Conv", ctx -> {
      seen[0] = ConvLowerings.choose(ctx);
      return new dev.kiln.ir.loop.Stmt.Block(ImmutableList.of());
    });
    try {
      GraphToLoops.lower(BindShapes.bind(g, Map.of("x", x)), spy);
    } catch (RuntimeException ignored) {
      // the empty kernel need not verify: only the choice matters here
    }
    return seen[0];
  }

  static LoweringRegistry forcing(Algorithm a) {
    LoweringRegistry standard = LoweringRegistry.standard();
    OpLowering conv = ctx -> ConvLowerings.lower(ctx,
        ConvEpilogue.bias(ctx.hasInput(2) ? Optional.of(ctx.input(2)) : Optional.empty()), Optional.of(a));
    OpLowering fused = ctx -> ConvLowerings.fused(ctx,
        e -> Nests.max(e, Exprs.constant(DType.F32, 0)), Optional.of(a));
    LoweringRegistry r = standard.replacing("Conv", conv);
    return standard.lookup("FusedConv").isPresent() ? r.replacing("FusedConv", fused)
        : r.plus(Map.of("FusedConv", fused));
  }

  private static LoopProgram lower(Spec spec, Algorithm a, Random rnd) {
    Graph g = graphOf(spec, ConvLoweringTest.finite(dims(spec.m(), spec.x()[1], 3, 3), rnd));
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Value v : g.inputs()) {
      shapes.put(v.name(), v.type().shape().toLongArray());
    }
    return GraphToLoops.lower(BindShapes.bind(g, shapes), forcing(a));
  }

  private static Graph graphOf(Spec spec, Tensor w) {
    return convGraph(spec.x(), spec.m(), Attributes.builder().putInts("pads", spec.pads()).build(), w, spec.bias(),
        spec.fused());
  }

  private static void check(Spec spec, Algorithm algorithm) {
    WinogradConv.Tile tile = algorithm == Algorithm.WINOGRAD_F2 ? WinogradConv.Tile.F2 : WinogradConv.Tile.F4;
    Random rnd = new Random(spec.name().hashCode());
    Tensor w = ConvLoweringTest.finite(dims(spec.m(), spec.x()[1], 3, 3), rnd);
    Graph g = graphOf(spec, w);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (Value v : g.inputs()) {
      in.put(v.name(), ConvLoweringTest.finite(v.type().shape().toLongArray(), rnd));
    }
    Tensor expected = new ReferenceInterpreter(g, Differential.OPS).run(in).get("y");
    Map<String, long[]> shapes = new LinkedHashMap<>();
    in.forEach((k, v) -> shapes.put(k, v.shape()));
    LoopProgram p = GraphToLoops.lower(BindShapes.bind(g, shapes), forcing(algorithm));
    assertTrue(p.constants().keySet().stream().anyMatch(b -> b.name().equals("y.u")),
        "not lowered by Winograd:\n" + p);
    Tensor actual = LoopInterpreter.run(p, in).values().iterator().next();
    long[] pads = spec.pads();
    long outHeight = spec.x()[2] + pads[0] + pads[2] - 2;
    long outWidth = spec.x()[3] + pads[1] + pads[3] - 2;
    double[] winograd = WinogradConv.errorBound(tile, in.get("x"), w, new long[] {pads[0], pads[1]},
        outHeight, outWidth);
    double[][] bounds = bounds(spec, tile, in.get("x"), w, Optional.ofNullable(in.get("b")),
        Optional.ofNullable(in.get("z")));
    long channels = spec.x()[1];
    double gammaWinograd = gamma(channels + 21);
    double gammaReference = gamma(2);
    for (long i = 0; i < expected.size(); i++) {
      // S_w computed here independently: WinogradConv.errorBound must agree.
      double sw = bounds[0][(int) i];
      double extra = bounds[2][(int) i];
      assertEquals(gammaWinograd * sw, winograd[(int) i], 1e-9 * winograd[(int) i], "errorBound at " + i);
      double bound = gammaWinograd * (sw + extra) + gammaReference * (bounds[1][(int) i] + extra);
      double e = expected.getDouble(i);
      double a = actual.getDouble(i);
      assertTrue(Math.abs(e - a) <= bound, algorithm + " " + spec.name() + ": element " + i + " expected " + e
          + " got " + a + " (bound " + bound + ")");
    }
  }

  static double gamma(long n) {
    return n * U / (1 - n * U);
  }

  /**
   * Per output: {S_w, S, |b| + |z|} of the class comment, in double.
   */
  static double[][] bounds(Spec spec, WinogradConv.Tile tile, Tensor x, Tensor w, Optional<Tensor> b,
      Optional<Tensor> z) {
    double[][][] mats = tile.matrices();
    double[][] bt = abs(mats[0]);
    double[][] g = abs(mats[1]);
    double[][] at = abs(mats[2]);
    int a = tile.alpha();
    int m = tile.m;
    int n = (int) spec.x()[0];
    int c = (int) spec.x()[1];
    int h = (int) spec.x()[2];
    int wd = (int) spec.x()[3];
    int outs = (int) spec.m();
    long[] pads = spec.pads();
    int oh = (int) (h + pads[0] + pads[2] - 2);
    int ow = (int) (wd + pads[1] + pads[3] - 2);
    double[] sw = new double[n * outs * oh * ow];
    double[] sd = new double[sw.length];
    double[] ex = new double[sw.length];
    double[][][][] ug = new double[outs][c][][];
    for (int o = 0; o < outs; o++) {
      for (int ch = 0; ch < c; ch++) {
        double[][] wt = new double[3][3];
        for (int r = 0; r < 3; r++) {
          for (int k = 0; k < 3; k++) {
            wt[r][k] = Math.abs(w.getDouble(((o * c + ch) * 3 + r) * 3 + k));
          }
        }
        ug[o][ch] = mul(mul(g, wt), transpose(g));
      }
    }
    int th = (oh + m - 1) / m;
    int tw = (ow + m - 1) / m;
    for (int im = 0; im < n; im++) {
      for (int ti = 0; ti < th; ti++) {
        for (int tj = 0; tj < tw; tj++) {
          double[][][] vb = new double[c][][];
          for (int ch = 0; ch < c; ch++) {
            double[][] d = new double[a][a];
            for (int i = 0; i < a; i++) {
              for (int j = 0; j < a; j++) {
                int row = (int) (ti * m + i - pads[0]);
                int col = (int) (tj * m + j - pads[1]);
                if (row >= 0 && row < h && col >= 0 && col < wd) {
                  d[i][j] = Math.abs(x.getDouble(((long) (im * c + ch) * h + row) * wd + col));
                }
              }
            }
            vb[ch] = mul(mul(bt, d), transpose(bt));
          }
          for (int o = 0; o < outs; o++) {
            double[][] sum = new double[a][a];
            for (int ch = 0; ch < c; ch++) {
              for (int i = 0; i < a; i++) {
                for (int j = 0; j < a; j++) {
                  sum[i][j] += ug[o][ch][i][j] * vb[ch][i][j];
                }
              }
            }
            double[][] y = mul(mul(at, sum), transpose(at));
            for (int i = 0; i < m; i++) {
              for (int j = 0; j < m; j++) {
                int r = ti * m + i;
                int q = tj * m + j;
                if (r < oh && q < ow) {
                  sw[((im * outs + o) * oh + r) * ow + q] = y[i][j];
                }
              }
            }
          }
        }
      }
    }
    for (int im = 0; im < n; im++) {
      for (int o = 0; o < outs; o++) {
        for (int r = 0; r < oh; r++) {
          for (int q = 0; q < ow; q++) {
            double s = 0;
            for (int ch = 0; ch < c; ch++) {
              for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                  int row = (int) (r + i - pads[0]);
                  int col = (int) (q + j - pads[1]);
                  if (row >= 0 && row < h && col >= 0 && col < wd) {
                    s += Math.abs(x.getDouble(((long) (im * c + ch) * h + row) * wd + col)
                        * w.getDouble(((o * c + ch) * 3 + i) * 3 + j));
                  }
                }
              }
            }
            int at0 = ((im * outs + o) * oh + r) * ow + q;
            double extra = (b.isPresent() ? Math.abs(b.get().getDouble(o)) : 0)
                + (z.isPresent() ? Math.abs(z.get().getDouble(at0)) : 0);
            sd[at0] = s;
            ex[at0] = extra;
          }
        }
      }
    }
    return new double[][] {sw, sd, ex};
  }

  static Graph convGraph(long[] x, long m, Attributes attrs, Tensor w, boolean bias, boolean fused) {
    GraphBuilder b = Graph.builder("t");
    List<Optional<Value>> ins = new ArrayList<>();
    ins.add(Optional.of(b.input("x", TensorType.of(DType.F32, x))));
    ins.add(Optional.of(b.constant("w", w)));
    ins.add(bias ? Optional.of(b.input("b", TensorType.of(DType.F32, m))) : Optional.empty());
    Graph partial = b.build();
    List<Optional<TensorType>> types = ins.stream().map(v -> v.map(Value::type)).toList();
    List<Optional<Tensor>> consts = ins.stream().map(v -> v.flatMap(val ->
        Optional.ofNullable(partial.constantsByName().get(val.name())).map(cst -> cst.data()))).toList();
    NodeInference.Result r = NodeInference.infer(Differential.OPS.lookup("Conv").orElseThrow(), attrs,
        types, consts, 1);
    TensorType yType = r.types().get(0);
    Value y = new Value("y", yType);
    if (fused) {
      ins.add(Optional.of(b.input("z", yType)));
      b.addNode(new Node("conv", "FusedConv", ImmutableList.copyOf(ins), ImmutableList.of(y),
          attrs.toBuilder().put("activation", "Relu").build()));
    } else {
      while (ins.get(ins.size() - 1).isEmpty()) {
        ins.remove(ins.size() - 1);
      }
      b.addNode(new Node("conv", "Conv", ImmutableList.copyOf(ins), ImmutableList.of(y), attrs));
    }
    b.output(y);
    return b.build();
  }

  static double[][] mul(double[][] p, double[][] q) {
    double[][] r = new double[p.length][q[0].length];
    for (int i = 0; i < p.length; i++) {
      for (int k = 0; k < q.length; k++) {
        for (int j = 0; j < q[0].length; j++) {
          r[i][j] += p[i][k] * q[k][j];
        }
      }
    }
    return r;
  }

  static double[][] transpose(double[][] p) {
    double[][] r = new double[p[0].length][p.length];
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < p[0].length; j++) {
        r[j][i] = p[i][j];
      }
    }
    return r;
  }

  static double[][] abs(double[][] p) {
    double[][] r = new double[p.length][p[0].length];
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < p[0].length; j++) {
        r[i][j] = Math.abs(p[i][j]);
      }
    }
    return r;
  }
}
