package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.nn.ConvLowerings;
import dev.kiln.passes.lower.nn.WinogradConv;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Each convolution algorithm (1x1 GEMM, im2col + GEMM with pads, strides, dilations and groups,
 * depthwise; see {@code ConvLowerings}) through the compiled engine at -O1 (the default schedules)
 * and at -O3 (the NCHWc kernels where assign-layout applies), with 2 threads, at sizes where the generated copy loops run vector bodies and tails and the matmul
 * several blocks, against the reference interpreter. Tolerance: the error bound of a K-term f32
 * sum in any order, {@code 1e-6 + 2 (K + 2) 2^-24 S}, S the same convolution of |x|, |w|, |b|.
 */
class CompiledConvTest {
  record Spec(String name, long[] x, long[] w, Attributes attrs) {}

  static List<Spec> specs() {
    return List.of(
        new Spec("1x1 (gemm)", dims(2, 19, 9, 13), dims(21, 19, 1, 1), Attributes.EMPTY),
        new Spec("1x1 groups 2 (gemm)", dims(1, 8, 11, 5), dims(6, 4, 1, 1), attrs().put("group", 2L).build()),
        new Spec("3x3 pad 1 (im2col)", dims(2, 7, 17, 19), dims(9, 7, 3, 3),
            attrs().putInts("pads", dims(1, 1, 1, 1)).build()),
        new Spec("7x7 stride 2 pad 3 (im2col)", dims(1, 3, 23, 21), dims(8, 3, 7, 7),
            attrs().putInts("pads", dims(3, 3, 3, 3)).putInts("strides", dims(2, 2)).build()),
        new Spec("1x1 stride 2 (im2col)", dims(1, 8, 15, 14), dims(16, 8, 1, 1),
            attrs().putInts("strides", dims(2, 2)).build()),
        new Spec("dilation 2 groups 3 (im2col)", dims(1, 6, 16, 18), dims(9, 2, 3, 3),
            attrs().put("group", 3L).putInts("dilations", dims(2, 2)).putInts("pads", dims(2, 1, 2, 1)).build()),
        new Spec("depthwise 3x3 pad 1", dims(2, 12, 19, 20), dims(12, 1, 3, 3),
            attrs().put("group", 12L).putInts("pads", dims(1, 1, 1, 1)).build()),
        new Spec("depthwise 3x3 stride 2", dims(1, 8, 17, 18), dims(8, 1, 3, 3),
            attrs().put("group", 8L).putInts("pads", dims(1, 1, 1, 1)).putInts("strides", dims(2, 2)).build()),
        new Spec("depthwise multiplier 2", dims(1, 4, 9, 33), dims(8, 1, 3, 5),
            attrs().put("group", 4L).putInts("pads", dims(1, 2, 1, 2)).build()));
  }

  static Attributes.Builder attrs() {
    return Attributes.builder();
  }

  static long[] dims(long... d) {
    return d;
  }

  /** The levels every test runs at: -O1 (NCHW algorithms) and -O3 (the NCHWc layout where it applies). */
  static final List<Integer> LEVELS = List.of(1, 3);

  @TestFactory
  Stream<DynamicTest> everyConvolutionAlgorithmCompiledMatchesTheReference() {
    return LEVELS.stream().flatMap(level -> specs().stream().map(spec -> DynamicTest.dynamicTest(spec.name() + " -O" + level, () -> {
      ModelOptions options = ModelOptions.defaults().withEngine(ModelOptions.Engine.COMPILED).withThreads(2)
          .withOptimizationLevel(level);
      Random rnd = new Random(spec.name().hashCode());
      Tensor w = uniform(spec.w(), rnd);
      Graph g = graph(spec, w);
      Graph magnitudes = graph(spec, abs(w));
      Map<String, Tensor> in = new LinkedHashMap<>();
      in.put("x", uniform(spec.x(), rnd));
      in.put("b", uniform(dims(spec.w()[0]), rnd));
      Map<String, Tensor> absIn = new LinkedHashMap<>();
      in.forEach((k, v) -> absIn.put(k, abs(v)));
      Tensor expected = new ReferenceInterpreter(g, OpRegistry.standard()).run(in).get("y");
      Tensor bound = new ReferenceInterpreter(magnitudes, OpRegistry.standard()).run(absIn).get("y");
      Model model = Kiln.fromGraph(g, options);
      Tensor actual = model.run(in).get("y");
      assertEquals(expected.type(), actual.type(), spec.name());
      long k = spec.w()[1] * spec.w()[2] * spec.w()[3];
      for (long i = 0; i < expected.size(); i++) {
        double tol = 1e-6 + 2 * (k + 2) * 0x1p-24 * bound.getDouble(i);
        double e = expected.getDouble(i);
        double a = actual.getDouble(i);
        assertTrue(Math.abs(e - a) <= tol, spec.name() + " -O" + level + ": element " + i + " expected " + e
            + " but compiled gave " + a + " (tolerance " + tol + ")");
      }
    })));
  }

  /**
   * Winograd F(2x2) and F(4x4), forced ({@code kiln.conv.algorithm}), compiled with 2 threads:
   * partial tiles, channels that are no multiple of the vector width, positions parallel (small
   * GEMMs) and one large GEMM per position split over the threads. Tolerance: the transform's
   * bound (WinogradConv.errorBound) plus the bias's and the reference's roundings.
   */
  @TestFactory
  Stream<DynamicTest> winogradCompiledMatchesTheReferenceWithinTheTransformBound() {
    // -O1: the forced algorithm is one of the NCHW lowerings, which -O3's NCHWc layout replaces.
    ModelOptions options = ModelOptions.defaults().withEngine(ModelOptions.Engine.COMPILED).withThreads(2)
        .withOptimizationLevel(1);
    List<Spec> specs = List.of(
        new Spec("19 -> 21 channels 13x17 pad 1 batch 2", dims(2, 19, 13, 17), dims(21, 19, 3, 3),
            attrs().putInts("pads", dims(1, 1, 1, 1)).build()),
        new Spec("32 -> 40 channels 28x28 pad 1", dims(1, 32, 28, 28), dims(40, 32, 3, 3),
            attrs().putInts("pads", dims(1, 1, 1, 1)).build()),
        new Spec("128 -> 128 channels 28x27 pad 0", dims(1, 128, 28, 27), dims(128, 128, 3, 3), Attributes.EMPTY));
    List<DynamicTest> tests = new java.util.ArrayList<>();
    for (String algorithm : List.of("WINOGRAD_F2", "WINOGRAD_F4")) {
      for (Spec spec : specs) {
        tests.add(DynamicTest.dynamicTest(algorithm + " " + spec.name(), () -> {
          Random rnd = new Random(spec.name().hashCode());
          Tensor w = uniform(spec.w(), rnd);
          Graph g = graph(spec, w);
          Map<String, Tensor> in = new LinkedHashMap<>();
          in.put("x", uniform(spec.x(), rnd));
          in.put("b", uniform(dims(spec.w()[0]), rnd));
          Map<String, Tensor> absIn = new LinkedHashMap<>();
          in.forEach((k, v) -> absIn.put(k, abs(v)));
          Tensor expected = new ReferenceInterpreter(g, OpRegistry.standard()).run(in).get("y");
          Tensor direct = new ReferenceInterpreter(graph(spec, abs(w)), OpRegistry.standard()).run(absIn).get("y");
          String old = System.getProperty(ConvLowerings.FORCE_PROPERTY);
          Tensor actual;
          System.setProperty(ConvLowerings.FORCE_PROPERTY, algorithm);
          try {
            actual = Kiln.fromGraph(g, options).run(in).get("y");
          } finally {
            if (old == null) {
              System.clearProperty(ConvLowerings.FORCE_PROPERTY);
            } else {
              System.setProperty(ConvLowerings.FORCE_PROPERTY, old);
            }
          }
          long[] pads = spec.attrs().getInts("pads").orElse(dims(0, 0, 0, 0));
          long[] shape = expected.shape();
          double[] bound = WinogradConv.errorBound(
              algorithm.equals("WINOGRAD_F2") ? WinogradConv.Tile.F2 : WinogradConv.Tile.F4, in.get("x"), w,
              new long[] {pads[0], pads[1]}, shape[2], shape[3]);
          long plane = shape[2] * shape[3];
          for (long i = 0; i < expected.size(); i++) {
            double b = Math.abs(in.get("b").getDouble((i / plane) % shape[1]));
            // The bias's addition (one rounding) and the reference's (double sums rounded once).
            double tol = bound[(int) i] + WinogradConv.gamma(spec.w()[1] + 21) * b
                + WinogradConv.gamma(2) * direct.getDouble(i);
            double e = expected.getDouble(i);
            double a = actual.getDouble(i);
            assertTrue(Math.abs(e - a) <= tol, algorithm + " " + spec.name() + ": element " + i + " expected " + e
                + " but compiled gave " + a + " (tolerance " + tol + ")");
          }
        }));
      }
    }
    return tests.stream();
  }

  private static Graph graph(Spec spec, Tensor w) {
    GraphBuilder b = Graph.builder("conv");
    Value x = b.input("x", TensorType.of(DType.F32, spec.x()));
    Value wv = b.constant("w", w);
    Value bias = b.input("b", TensorType.of(DType.F32, spec.w()[0]));
    List<Optional<Value>> ins = List.of(Optional.of(x), Optional.of(wv), Optional.of(bias));
    NodeInference.Result r = NodeInference.infer(OpRegistry.standard().lookup("Conv").orElseThrow(),
        spec.attrs(), ins.stream().map(v -> v.map(Value::type)).toList(),
        List.of(Optional.empty(), Optional.of(w), Optional.empty()), 1);
    Value y = new Value("y", r.types().get(0));
    b.addNode(new Node("conv", "Conv", ImmutableList.copyOf(ins), ImmutableList.of(y), spec.attrs()));
    b.output(y);
    return b.build();
  }

  /** Uniform in [-2, 2): values of both signs, as convolution inputs and weights. */
  static Tensor uniform(long[] shape, Random rnd) {
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

  private static Tensor abs(Tensor t) {
    double[] v = new double[(int) t.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.abs(t.getDouble(i));
    }
    return Tensor.ofDoubles(t.dtype(), t.shape(), v);
  }
}
