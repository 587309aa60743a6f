package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.api.Kiln;
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
import dev.kiln.passes.lower.nn.NchwcWinogradConv;
import dev.kiln.passes.lower.nn.WinogradConv;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Winograd on the blocked layout, differentially: {@code Relu(Conv(x, w) + b + z)} at -O3 (where
 * assign-layout makes it an NchwcConv with a residual and NchwcWinogradConv computes it), compiled
 * with 1, 2 and 3 threads, F(2x2) and F(4x4) forced and the cost model's own choice, against the
 * reference interpreter on the unoptimized graph: 20 input channels and 18 outputs (partial
 * blocks), odd sizes (partial tiles), batch 2, asymmetric pads.
 *
 * <p>Tolerance per output: the transform's bound ({@link WinogradConv#errorBound}), plus
 * {@code gamma(C + 21)} of the bias and residual, plus the reference's own error, at most
 * {@code gamma(9 C + 2) (S + |b| + |z|)} (a float sum of the 9C products in any order), S the
 * convolution of |x| and |w|. ReLU does not widen the difference.
 */
class CompiledNchwcWinogradTest {
  static final long C = 20;
  static final long M = 18;

  record Shape(String name, long n, long h, long w, long[] pads) {}

  @TestFactory
  Stream<DynamicTest> blockedWinogradAtO3MatchesTheReference() {
    List<Shape> shapes = List.of(
        new Shape("batch 2, 13x11, pad 1", 2, 13, 11, new long[] {1, 1, 1, 1}),
        new Shape("batch 1, 30x29, pads 1,0,2,1", 1, 30, 29, new long[] {1, 0, 2, 1}));
    List<DynamicTest> tests = new ArrayList<>();
    for (Shape s : shapes) {
      for (String algorithm : List.of("", "WINOGRAD_F2", "WINOGRAD_F4")) {
        for (int threads : new int[] {1, 2, 3}) {
          String name = (algorithm.isEmpty() ? "cost model" : algorithm) + ", " + threads + " threads, " + s.name();
          tests.add(DynamicTest.dynamicTest(name, () -> check(name, s, algorithm, threads, Map.of())));
        }
      }
    }
    return tests.stream();
  }

  /**
   * The kernel's A/B variants (GEMMs split by output column groups, the bordered copy as nests of
   * its own, the input transform over input blocks) compiled on 2 and 3 threads: the same results
   * within the same bound.
   */
  @TestFactory
  Stream<DynamicTest> theSplitAndBorderVariantsMatchTheReference() {
    Shape s = new Shape("batch 2, 10x9, pads 1,2,1,0", 2, 10, 9, new long[] {1, 2, 1, 0});
    List<DynamicTest> tests = new ArrayList<>();
    for (Map<String, String> properties : List.of(Map.of(NchwcWinogradConv.SPLIT_PROPERTY, "columns"),
        Map.of(NchwcWinogradConv.BORDER_PER_BLOCK_PROPERTY, "false"),
        Map.of(NchwcWinogradConv.TRANSFORM_SPLIT_PROPERTY, "blocks"))) {
      for (int threads : new int[] {2, 3}) {
        String name = properties + ", WINOGRAD_F4, " + threads + " threads, " + s.name();
        tests.add(DynamicTest.dynamicTest(name, () -> check(name, s, "WINOGRAD_F4", threads, properties)));
      }
    }
    return tests.stream();
  }

  private static void check(String name, Shape s, String algorithm, int threads, Map<String, String> properties) {
    Random rnd = new Random(name.hashCode());
    Tensor w = CompiledConvTest.uniform(new long[] {M, C, 3, 3}, rnd);
    Tensor bias = CompiledConvTest.uniform(new long[] {M}, rnd);
    long oh = s.h() + s.pads()[0] + s.pads()[2] - 2;
    long ow = s.w() + s.pads()[1] + s.pads()[3] - 2;
    Graph g = graph(s, w, bias, oh, ow);
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("x", CompiledConvTest.uniform(new long[] {s.n(), C, s.h(), s.w()}, rnd));
    in.put("z", CompiledConvTest.uniform(new long[] {s.n(), M, oh, ow}, rnd));
    Tensor expected = new ReferenceInterpreter(g, OpRegistry.standard()).run(in).get("y");
    String old = System.getProperty(ConvLowerings.FORCE_PROPERTY);
    Map<String, String> oldProperties = new LinkedHashMap<>();
    properties.forEach((k, v) -> {
      oldProperties.put(k, System.getProperty(k));
      System.setProperty(k, v);
    });
    Tensor actual;
    if (!algorithm.isEmpty()) {
      System.setProperty(ConvLowerings.FORCE_PROPERTY, algorithm);
    }
    try {
      ModelOptions options = ModelOptions.defaults().withEngine(ModelOptions.Engine.COMPILED).withThreads(threads)
          .withOptimizationLevel(3);
      actual = Kiln.fromGraph(g, options).run(in).get("y");
    } finally {
      oldProperties.forEach((k, v) -> {
        if (v == null) {
          System.clearProperty(k);
        } else {
          System.setProperty(k, v);
        }
      });
      if (old == null) {
        System.clearProperty(ConvLowerings.FORCE_PROPERTY);
      } else {
        System.setProperty(ConvLowerings.FORCE_PROPERTY, old);
      }
    }
    // The cost model's tile is one of the two: the larger of their bounds covers it.
    double[] f2 = WinogradConv.errorBound(WinogradConv.Tile.F2, in.get("x"), w,
        new long[] {s.pads()[0], s.pads()[1]}, oh, ow);
    double[] f4 = WinogradConv.errorBound(WinogradConv.Tile.F4, in.get("x"), w,
        new long[] {s.pads()[0], s.pads()[1]}, oh, ow);
    double gw = WinogradConv.gamma(C + 21);
    double gr = WinogradConv.gamma(9 * C + 2);
    Tensor x = in.get("x");
    for (int n = 0; n < s.n(); n++) {
      for (int o = 0; o < M; o++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            int at = (int) (((n * M + o) * oh + i) * ow + j);
            double sum = 0;
            for (int c = 0; c < C; c++) {
              for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                  long ih = i + kh - s.pads()[0];
                  long iw = j + kw - s.pads()[1];
                  if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                    sum += Math.abs(x.getDouble(((n * C + c) * s.h() + ih) * s.w() + iw)
                        * w.getDouble(((o * C + c) * 3 + kh) * 3 + kw));
                  }
                }
              }
            }
            double extra = Math.abs(bias.getDouble(o)) + Math.abs(in.get("z").getDouble(at));
            double bound = Math.max(f2[at], f4[at]) + gw * extra + gr * (sum + extra);
            double e = expected.getDouble(at);
            double a = actual.getDouble(at);
            assertTrue(Math.abs(e - a) <= bound, name + ": output (" + n + ", " + o + ", " + i + ", " + j
                + ") expected " + e + " but compiled gave " + a + " (bound " + bound + ")");
          }
        }
      }
    }
  }

  /** {@code y = Relu(Conv(x, w, b) + z)}. */
  private static Graph graph(Shape s, Tensor w, Tensor bias, long oh, long ow) {
    GraphBuilder b = Graph.builder("block");
    Value x = b.input("x", TensorType.of(DType.F32, s.n(), C, s.h(), s.w()));
    Value z = b.input("z", TensorType.of(DType.F32, s.n(), M, oh, ow));
    Value wv = b.constant("w", w);
    Value bv = b.constant("b", bias);
    Attributes attrs = Attributes.builder().putInts("pads", s.pads()).build();
    List<Optional<Value>> ins = List.of(Optional.of(x), Optional.of(wv), Optional.of(bv));
    NodeInference.Result r = NodeInference.infer(OpRegistry.standard().lookup("Conv").orElseThrow(), attrs,
        ins.stream().map(v -> v.map(Value::type)).toList(), List.of(Optional.empty(), Optional.of(w),
            Optional.of(bias)), 1);
    Value conv = new Value("conv", r.types().get(0));
    b.addNode(new Node("conv", "Conv", ImmutableList.copyOf(ins), ImmutableList.of(conv), attrs));
    Value sum = new Value("sum", conv.type());
    b.addNode(new Node("add", "Add", ImmutableList.of(Optional.of(conv), Optional.of(z)), ImmutableList.of(sum),
        Attributes.EMPTY));
    Value y = new Value("y", conv.type());
    b.addNode(new Node("relu", "Relu", ImmutableList.of(Optional.of(sum)), ImmutableList.of(y), Attributes.EMPTY));
    b.output(y);
    return b.build();
  }
}
