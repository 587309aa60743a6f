package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.nn.ConvEpilogue;
import dev.kiln.passes.lower.nn.ConvLowerings;
import dev.kiln.passes.lower.nn.ConvLowerings.Algorithm;
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
 * Each convolution algorithm of {@link ConvLowerings} against the reference interpreter, on
 * geometries chosen to reach it (1x1, im2col with pads, strides, dilations, auto_pad and groups,
 * depthwise with and without a channel multiplier, 1-D and 3-D, odd sizes, batch > 1), with the
 * algorithm it must have chosen.
 *
 * <p>Tolerance: the error bound of a K-term f32 sum in any order, {@code |y - ref| <= 1e-6 +
 * 2 K u S}, where u = 2^-24, K the number of products per output and S the same convolution of
 * |x|, |w| and |b| (computed by the reference). It holds for the loop interpreter's sequential
 * sum and for any blocked or reassociated one a GEMM kernel may use.
 */
class ConvLoweringTest {
  /** One test geometry: X's shape, W's shape, attributes, whether there is a bias. */
  record Spec(String name, Algorithm expected, long[] x, long[] w, Attributes attrs, boolean bias) {}

  static Attributes.Builder attrs() {
    return Attributes.builder();
  }

  static List<Spec> specs() {
    List<Spec> s = new ArrayList<>();
    s.add(new Spec("1x1", Algorithm.GEMM_1X1, dims(1, 8, 5, 7), dims(6, 8, 1, 1), Attributes.EMPTY, true));
    s.add(new Spec("1x1 batch 3 no bias", Algorithm.GEMM_1X1, dims(3, 5, 3, 3), dims(7, 5, 1, 1),
        Attributes.EMPTY, false));
    s.add(new Spec("1x1 groups 2", Algorithm.GEMM_1X1, dims(2, 6, 4, 5), dims(4, 3, 1, 1),
        attrs().put("group", 2L).build(), true));
    s.add(new Spec("1x1 1-D", Algorithm.GEMM_1X1, dims(2, 3, 9), dims(5, 3, 1), Attributes.EMPTY, true));
    s.add(new Spec("1x1 stride 2", Algorithm.IM2COL_GEMM, dims(1, 4, 7, 6), dims(5, 4, 1, 1),
        attrs().putInts("strides", dims(2, 2)).build(), true));
    s.add(new Spec("3x3 pad 1", Algorithm.IM2COL_GEMM, dims(1, 5, 9, 11), dims(6, 5, 3, 3),
        attrs().putInts("pads", dims(1, 1, 1, 1)).build(), true));
    s.add(new Spec("3x3 pad 1 batch 2", Algorithm.IM2COL_GEMM, dims(2, 3, 6, 5), dims(4, 3, 3, 3),
        attrs().putInts("pads", dims(1, 1, 1, 1)).build(), false));
    s.add(new Spec("3x3 stride 2 pads 0,1,2,1", Algorithm.IM2COL_GEMM, dims(1, 3, 11, 10),
        dims(4, 3, 3, 3), attrs().putInts("pads", dims(0, 1, 2, 1)).putInts("strides", dims(2, 2)).build(), true));
    s.add(new Spec("3x2 dilation 2,3 stride 1,2", Algorithm.IM2COL_GEMM, dims(2, 2, 12, 13),
        dims(3, 2, 3, 2), attrs().putInts("dilations", dims(2, 3)).putInts("strides", dims(1, 2))
            .putInts("pads", dims(2, 1, 1, 3)).build(), true));
    s.add(new Spec("7x7 stride 2 pad 3", Algorithm.IM2COL_GEMM, dims(1, 3, 17, 15), dims(4, 3, 7, 7),
        attrs().putInts("pads", dims(3, 3, 3, 3)).putInts("strides", dims(2, 2)).build(), true));
    s.add(new Spec("auto_pad SAME_UPPER", Algorithm.IM2COL_GEMM, dims(1, 2, 7, 8), dims(3, 2, 4, 3),
        attrs().put("auto_pad", "SAME_UPPER").putInts("strides", dims(2, 1)).build(), true));
    s.add(new Spec("auto_pad SAME_LOWER", Algorithm.IM2COL_GEMM, dims(1, 2, 7, 8), dims(3, 2, 4, 3),
        attrs().put("auto_pad", "SAME_LOWER").build(), false));
    s.add(new Spec("3x3 pad 1, 16 channels", Algorithm.IM2COL_GEMM, dims(1, 16, 5, 6), dims(3, 16, 3, 3),
        attrs().putInts("pads", dims(1, 1, 1, 1)).build(), true));
    s.add(new Spec("3x3 valid", Algorithm.IM2COL_GEMM, dims(1, 4, 6, 9), dims(2, 4, 3, 3),
        Attributes.EMPTY, true));
    s.add(new Spec("groups 3", Algorithm.IM2COL_GEMM, dims(2, 6, 7, 5), dims(9, 2, 3, 3),
        attrs().put("group", 3L).putInts("pads", dims(1, 1, 1, 1)).build(), true));
    s.add(new Spec("1-D pad 2 dilation 2", Algorithm.IM2COL_GEMM, dims(2, 3, 13), dims(4, 3, 3),
        attrs().putInts("pads", dims(2, 2)).putInts("dilations", dims(2)).build(), true));
    s.add(new Spec("3-D", Algorithm.IM2COL_GEMM, dims(1, 2, 4, 5, 6), dims(3, 2, 2, 3, 3),
        attrs().putInts("pads", dims(1, 0, 1, 0, 1, 1)).build(), true));
    s.add(new Spec("depthwise 3x3 pad 1", Algorithm.DEPTHWISE, dims(2, 5, 9, 10), dims(5, 1, 3, 3),
        attrs().put("group", 5L).putInts("pads", dims(1, 1, 1, 1)).build(), true));
    s.add(new Spec("depthwise 3x3 stride 2", Algorithm.DEPTHWISE, dims(1, 4, 11, 12), dims(4, 1, 3, 3),
        attrs().put("group", 4L).putInts("pads", dims(1, 1, 1, 1)).putInts("strides", dims(2, 2)).build(), false));
    s.add(new Spec("depthwise multiplier 2", Algorithm.DEPTHWISE, dims(1, 3, 7, 6), dims(6, 1, 5, 3),
        attrs().put("group", 3L).putInts("pads", dims(2, 1, 2, 1)).build(), true));
    s.add(new Spec("depthwise 7x5 (an accumulator loop)", Algorithm.DEPTHWISE, dims(1, 2, 9, 8),
        dims(2, 1, 7, 5), attrs().put("group", 2L).putInts("pads", dims(3, 2, 3, 2)).build(), true));
    s.add(new Spec("depthwise unpadded", Algorithm.DEPTHWISE, dims(1, 4, 6, 6), dims(4, 1, 3, 3),
        attrs().put("group", 4L).build(), true));
    return s;
  }

  static long[] dims(long... d) {
    return d;
  }

  @TestFactory
  Stream<DynamicTest> eachAlgorithmMatchesTheReference() {
    return specs().stream().map(spec -> DynamicTest.dynamicTest(spec.name(), () -> {
      Random rnd = new Random(spec.name().hashCode());
      Graph g = convGraph(spec, finite(spec.w(), rnd));
      Map<String, Tensor> in = new LinkedHashMap<>();
      in.put("x", finite(spec.x(), rnd));
      if (spec.bias()) {
        in.put("b", finite(dims(spec.w()[0]), rnd));
      }
      LoopProgram p = check(spec.name(), g, in, LoweringRegistry.standard());
      assertEquals(spec.expected(), algorithmOf(p), spec.name() + ":\n" + p);
    }));
  }

  @Test
  void paddingWithWeightsThatAreNotConstantStaysDirect() {
    Spec spec = new Spec("w input", Algorithm.DIRECT, dims(1, 2, 5, 5), dims(3, 2, 3, 3),
        attrs().putInts("pads", dims(1, 1, 1, 1)).build(), false);
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F32, spec.x()));
    Value w = b.input("w", TensorType.of(DType.F32, spec.w()));
    Graph g = node(b, List.of(Optional.of(x), Optional.of(w)), spec.attrs());
    Random rnd = new Random(1);
    LoopProgram p = check("w input", g, Map.of("x", finite(spec.x(), rnd), "w", finite(spec.w(), rnd)),
        LoweringRegistry.standard());
    assertEquals(Algorithm.DIRECT, algorithmOf(p));
  }

  @Test
  void paddingWithAnInfiniteWeightStaysDirectAndSkipsPaddedTaps() {
    Spec spec = new Spec("inf", Algorithm.DIRECT, dims(1, 1, 3, 3), dims(1, 1, 3, 3),
        attrs().putInts("pads", dims(1, 1, 1, 1)).build(), false);
    double[] w = new double[9];
    w[0] = Double.POSITIVE_INFINITY; // only the top-left tap: padded for the first output row
    Graph g = convGraph(spec, Tensor.ofDoubles(DType.F32, spec.w(), w));
    Tensor x = Tensor.ofDoubles(DType.F32, spec.x(), new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    LoopProgram p = check("inf", g, Map.of("x", x), LoweringRegistry.standard());
    assertEquals(Algorithm.DIRECT, algorithmOf(p));
  }

  @Test
  void otherTypesStayDirect() {
    GraphBuilder b = Graph.builder("t");
    Value x = b.input("x", TensorType.of(DType.F64, 1, 2, 4, 4));
    Value w = b.constant("w", Tensor.ofDoubles(DType.F64, dims(2, 2, 1, 1), new double[] {1, 2, 3, 4}));
    Graph g = node(b, List.of(Optional.of(x), Optional.of(w)), Attributes.EMPTY);
    Random rnd = new Random(2);
    Tensor data = Differential.random(DType.F64, dims(1, 2, 4, 4), rnd, false);
    LoopProgram p = check("f64", g, Map.of("x", data), LoweringRegistry.standard());
    assertEquals(Algorithm.DIRECT, algorithmOf(p));
  }

  /**
   * im2col and the padded copy are parallel over channels, except with few channels (an image's
   * 3), where they are parallel over output (padded) rows so that every thread gets a share.
   */
  @Test
  void copiesAreParallelOverRowsWhenThereAreFewChannels() {
    for (Spec spec : specs()) {
      if (spec.name().equals("7x7 stride 2 pad 3") || spec.name().equals("3x3 pad 1, 16 channels")) {
        Random rnd = new Random(1);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", finite(spec.x(), rnd));
        in.put("b", finite(dims(spec.w()[0]), rnd));
        String text = check(spec.name(), convGraph(spec, finite(spec.w(), rnd)), in,
            LoweringRegistry.standard()).toString();
        boolean few = spec.x()[1] < 16;
        assertEquals(few, text.contains("parallel for o0 in"), text);
        assertEquals(few, text.contains("parallel for p1 in") && text.contains("parallel for q1 in"), text);
        assertEquals(!few, text.contains("parallel for c in"), text);
      }
    }
  }

  /** The epilogue parameter: an activation (ReLU) fused into each algorithm, vs Conv then Relu. */
  @TestFactory
  Stream<DynamicTest> anActivationEpilogueMatchesConvThenRelu() {
    LoweringRegistry fused = LoweringRegistry.standard().replacing("Conv", ctx -> ConvLowerings.lower(ctx,
        new ConvEpilogue(ctx.hasInput(2) ? Optional.of(ctx.input(2)) : Optional.empty(), Optional.empty(),
            e -> Nests.max(e, dev.kiln.ir.loop.Exprs.constant(DType.F32, 0)))));
    return specs().stream().filter(s -> s.name().startsWith("1x1 groups") || s.name().equals("3x3 pad 1")
        || s.name().startsWith("depthwise 3x3 pad") || s.name().startsWith("depthwise 7x5")).map(spec -> DynamicTest.dynamicTest(spec.name(), () -> {
          Random rnd = new Random(spec.name().hashCode() + 1);
          Graph conv = convGraph(spec, finite(spec.w(), rnd));
          // Conv (with the fused ReLU) then Relu again: relu(relu(v)) = relu(v).
          Value y = conv.outputs().get(0);
          GraphBuilder gb = Graph.builder("t");
          conv.inputs().forEach(v -> gb.input(v.name(), v.type()));
          conv.constants().forEach(c -> gb.constant(c.value().name(), c.data()));
          conv.nodes().forEach(gb::addNode);
          Value r = new Value("r", y.type());
          gb.addNode(new Node("relu", "Relu", ImmutableList.of(Optional.of(y)), ImmutableList.of(r),
              Attributes.EMPTY));
          gb.output(r);
          Map<String, Tensor> in = new LinkedHashMap<>();
          in.put("x", finite(spec.x(), rnd));
          if (spec.bias()) {
            in.put("b", finite(dims(spec.w()[0]), rnd));
          }
          LoopProgram p = check(spec.name() + " + relu", gb.build(), in, fused);
          assertTrue(p.kernels().get(0).toString().contains("max"), p.toString());
        }));
  }

  /**
   * FusedConv (bias, residual Z and ReLU) through {@link ConvLowerings#fused} on every geometry,
   * against FusedConv's reference.
   */
  @TestFactory
  Stream<DynamicTest> fusedConvWithResidualAndReluMatchesItsReference() {
    OpLowering fusedLowering = ctx -> ConvLowerings.fused(ctx,
        e -> Nests.max(e, dev.kiln.ir.loop.Exprs.constant(DType.F32, 0)));
    LoweringRegistry standard = LoweringRegistry.standard();
    LoweringRegistry registry = standard.lookup("FusedConv").isPresent()
        ? standard.replacing("FusedConv", fusedLowering) : standard.plus(Map.of("FusedConv", fusedLowering));
    return specs().stream().map(spec -> DynamicTest.dynamicTest(spec.name(), () -> {
      Random rnd = new Random(spec.name().hashCode() + 2);
      Attributes attrs = spec.attrs().toBuilder().put("activation", "Relu").build();
      GraphBuilder b = Graph.builder("t");
      List<Optional<Value>> ins = new ArrayList<>();
      ins.add(Optional.of(b.input("x", TensorType.of(DType.F32, spec.x()))));
      ins.add(Optional.of(b.constant("w", finite(spec.w(), rnd))));
      ins.add(spec.bias() ? Optional.of(b.input("b", TensorType.of(DType.F32, spec.w()[0]))) : Optional.empty());
      Graph plain = convGraph(spec, finite(spec.w(), new Random(0)));
      TensorType yType = plain.outputs().get(0).type();
      ins.add(Optional.of(b.input("z", yType)));
      Value y = new Value("y", yType);
      b.addNode(new Node("conv", "FusedConv", ImmutableList.copyOf(ins), ImmutableList.of(y), attrs));
      b.output(y);
      Map<String, Tensor> in = new LinkedHashMap<>();
      in.put("x", finite(spec.x(), rnd));
      if (spec.bias()) {
        in.put("b", finite(dims(spec.w()[0]), rnd));
      }
      in.put("z", finite(yType.shape().toLongArray(), rnd));
      LoopProgram p = check(spec.name() + " fused", b.build(), in, registry);
      assertEquals(spec.expected(), algorithmOf(p), spec.name() + ":\n" + p);
    }));
  }

  /** Which algorithm a lowered program used, from its shape. */
  static Algorithm algorithmOf(LoopProgram p) {
    String text = p.toString();
    boolean col = p.scratch().stream().anyMatch(b -> b.name().endsWith(".col"));
    if (text.contains("matmul ")) {
      return col ? Algorithm.IM2COL_GEMM : Algorithm.GEMM_1X1;
    }
    return text.contains("for c in") ? Algorithm.DIRECT : Algorithm.DEPTHWISE;
  }

  static Graph convGraph(Spec spec, Tensor w) {
    GraphBuilder b = Graph.builder("t");
    List<Optional<Value>> ins = new ArrayList<>();
    ins.add(Optional.of(b.input("x", TensorType.of(DType.F32, spec.x()))));
    ins.add(Optional.of(b.constant("w", w)));
    if (spec.bias()) {
      ins.add(Optional.of(b.input("b", TensorType.of(DType.F32, spec.w()[0]))));
    }
    return node(b, ins, spec.attrs());
  }

  private static Graph node(GraphBuilder b, List<Optional<Value>> ins, Attributes attrs) {
    Graph partial = b.build();
    List<Optional<TensorType>> types = ins.stream().map(v -> v.map(Value::type)).toList();
    List<Optional<Tensor>> consts = ins.stream().map(v -> v.flatMap(x ->
        Optional.ofNullable(partial.constantsByName().get(x.name())).map(c -> c.data()))).toList();
    NodeInference.Result r = NodeInference.infer(Differential.OPS.lookup("Conv").orElseThrow(), attrs,
        types, consts, 1);
    Value y = new Value("y", r.types().get(0));
    b.addNode(new Node("conv", "Conv", ImmutableList.copyOf(ins), ImmutableList.of(y), attrs));
    b.output(y);
    return b.build();
  }

  /** Uniform in [-2, 2]. */
  static Tensor finite(long[] shape, Random rnd) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    double[] v = new double[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble() * 4 - 2;
    }
    return Tensor.ofDoubles(DType.F32, shape, v);
  }

  /** Reference vs lowered-and-interpreted, within the K-term sum bound of the class comment. */
  static LoopProgram check(String what, Graph g, Map<String, Tensor> in, LoweringRegistry lowerings) {
    Map<String, Tensor> expected = new ReferenceInterpreter(g, Differential.OPS).run(in);
    Map<String, Tensor> magnitude = new ReferenceInterpreter(abs(g), Differential.OPS).run(absAll(in));
    Map<String, long[]> shapes = new LinkedHashMap<>();
    in.forEach((k, v) -> shapes.put(k, v.shape()));
    LoopProgram p = GraphToLoops.lower(BindShapes.bind(g, shapes), lowerings);
    Tensor actual = LoopInterpreter.run(p, in).values().iterator().next();
    Node conv = g.nodes().get(0);
    long k = 1;
    Value w = conv.inputs().get(1).orElseThrow();
    for (int d = 1; d < w.type().shape().rank(); d++) {
      k *= w.type().shape().toLongArray()[d];
    }
    String out = g.outputs().get(0).name();
    Tensor e = expected.get(out);
    Tensor s = magnitude.get(out);
    assertEquals(e.type(), actual.type(), what);
    for (long i = 0; i < e.size(); i++) {
      double bound = 1e-6 + 2 * (k + 2) * 0x1p-24 * s.getDouble(i);
      double x = e.getDouble(i);
      double y = actual.getDouble(i);
      boolean ok = Double.isFinite(x) ? Math.abs(x - y) <= bound : Double.isNaN(x) ? Double.isNaN(y) : x == y;
      assertTrue(ok, what + ": element " + i + " expected " + e.getDouble(i) + " got "
          + actual.getDouble(i) + " (bound " + bound + ")\n" + p);
    }
    return p;
  }

  /** The same graph with every constant replaced by its absolute value. */
  private static Graph abs(Graph g) {
    GraphBuilder b = Graph.builder(g.name());
    g.inputs().forEach(v -> b.input(v.name(), v.type()));
    g.constants().forEach(c -> b.constant(c.value().name(), absOf(c.data())));
    g.nodes().forEach(b::addNode);
    g.outputs().forEach(b::output);
    return b.build();
  }

  private static Map<String, Tensor> absAll(Map<String, Tensor> in) {
    Map<String, Tensor> r = new LinkedHashMap<>();
    in.forEach((k, v) -> r.put(k, absOf(v)));
    return r;
  }

  private static Tensor absOf(Tensor t) {
    double[] v = new double[(int) t.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.abs(t.getDouble(i));
    }
    return Tensor.ofDoubles(t.dtype(), t.shape(), v);
  }
}
