package dev.kiln.frontend.kiln;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code parse(print(g))} equals {@code g}, and printing is stable. */
class KilnRoundTripTest {
  static final List<String> HOSTILE_NAMES = List.of(
      "a \"quoted\" name", "*/", "/*", "a//b", "back\\slash", "caf\u00e9", "\uD83D\uDE00",
      "nul\u0000char", "new\nline", "tab\there", "class", "model", "weights", "_", "%", " ",
      "123", "?", "-", "x:", ":x", "onnx::Conv_5", "/layer1/Relu_output_0", "lone\uD800surrogate",
      "\u2028", "del\u007f");

  static Graph roundTrip(KilnModel model, OpRegistry registry) {
    String text = KilnText.print(model);
    KilnModel again = KilnText.parse(text, "printed.kiln", Path.of("."), registry);
    assertEquals(model.graph(), again.graph(), text);
    assertEquals(model.weightsFile(), again.weightsFile());
    assertEquals(text, KilnText.print(again), "printing is not stable");
    return again.graph();
  }

  static Graph roundTrip(Graph g) {
    return roundTrip(new KilnModel(g, Optional.empty()), TestOps.REGISTRY);
  }

  @Test
  void printsCanonicalText() {
    KilnModel m = KilnParseTest.parse("""
        model tiny(%x: f32[N, 4]) -> (%y) {
          const %b: f32[4] = [1, 2.5, -3, 1e-3]
          %h = TRelu(%x)
          "last": %y = TScale(%h) {pads = [1, 2], alpha = 2}
          const %s: f32[] = 0.5
          %z = TClip(%x, _, %s)
        }
        """);
    assertEquals("""
        kiln 1
        model tiny(%x: f32[N, 4]) -> (%y: f32[N, 4]) {
          const %b: f32[4] = [1.0, 2.5, -3.0, 0.001]
          const %s: f32[] = 0.5
          %h: f32[N, 4] = TRelu(%x)
          last: %y: f32[N, 4] = TScale(%h) {alpha = 2.0, pads = [1.0, 2.0]}
          %z: f32[N, 4] = TClip(%x, _, %s)
        }
        """, KilnText.print(m));
    roundTrip(m, TestOps.REGISTRY);
  }

  @Test
  void hostileNamesEverywhere() {
    for (String name : HOSTILE_NAMES) {
      GraphBuilder b = Graph.builder(name);
      Value x = b.input(name, TensorType.of(DType.F32, Dim.named(name), Dim.UNKNOWN, Dim.of(3)));
      Value y = new Value(name + "'", x.type());
      b.addNode(Node.of("TRelu", x, y).withName(name));
      Value c = b.constant("c" + name, Tensor.scalar(DType.F32, 1));
      Value z = new Value("z" + name, x.type());
      b.addNode(Node.of("TEverything", List.of(y), List.of(z), Attributes.builder()
          .put("s", name).put("strings", Attribute.strings(name, "", name)).build()));
      b.output(z).output(c);
      roundTrip(b.build());
    }
  }

  @Test
  void everyAttributeKindAndEdgeValue() {
    GraphBuilder b = Graph.builder("attrs");
    Value x = b.input("x", TensorType.of(DType.F32, 2));
    float[] floats = {0f, -0f, 0.1f, 1e-5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 16777217f, 3f};
    int i = 0;
    for (float f : floats) {
      Value y = new Value("y" + i++, x.type());
      b.addNode(Node.of("TEverything", List.of(x), List.of(y), Attributes.builder()
          .put("f", f).put("i", Long.MIN_VALUE + i).putFloats("floats", floats)
          .putInts("ints", Long.MAX_VALUE, -1, 0).build()));
      b.output(y);
    }
    Value e = new Value("empty", x.type());
    b.addNode(Node.of("TEverything", List.of(x), List.of(e), Attributes.builder()
        .putInts("ints").putFloats("floats").put("strings", Attribute.strings())
        .put("s", "").put("i", 0).build()));
    b.output(e);
    Graph g = b.build();
    assertEquals(g, roundTrip(g));
  }

  @Test
  void tensorsOfEveryDtype() {
    GraphBuilder b = Graph.builder("tensors");
    for (DType d : DType.values()) {
      Tensor t = edgeValues(d);
      b.constant("c_" + d, t);
      Value y = new Value("t_" + d, t.type());
      b.addNode(Node.of("TEverything", List.of(), List.of(y),
          Attributes.builder().put("value", Attribute.of(t)).build()));
      b.output(y);
      Value s = new Value("s_" + d, new TensorType(d, dev.kiln.ir.type.Shape.SCALAR));
      b.addNode(Node.of("TEverything", List.of(), List.of(s),
          Attributes.builder().put("value", Attribute.of(scalarOf(t))).build()));
      b.output(s);
    }
    b.constant("empty", Tensor.zeros(DType.F32, 0, 3));
    b.constant("big", bigTensor());
    roundTrip(b.build());
  }

  private static Tensor scalarOf(Tensor t) {
    TensorWriter w = TensorWriter.of(t.dtype());
    w.copyElement(t, t.size() - 1, 0);
    return w.build();
  }

  private static Tensor bigTensor() {
    TensorWriter w = TensorWriter.of(DType.F32, 10, 17);
    for (int i = 0; i < 170; i++) {
      w.setDouble(i, Math.sin(i) * 1e3);
    }
    return w.build();
  }

  /** Extremes, signed zeros, NaN, infinities, subnormals: whatever the dtype can hold. */
  static Tensor edgeValues(DType d) {
    if (d == DType.BOOL) {
      return Tensor.ofBooleans(new long[] {2}, true, false);
    }
    if (d.isFloating()) {
      double[] v = {0.0, -0.0, 0.1, 1.0 / 3, 65504, 6e-8, Double.NaN, Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY, d == DType.F64 ? Double.MIN_VALUE : 1e-40, d == DType.F64 ? 1e300 : 3e38};
      return Tensor.ofDoubles(d, new long[] {11}, v);
    }
    return Tensor.ofLongs(d, new long[] {2, 2}, Literals.minOf(d).longValue(),
        Literals.maxOf(d).longValue(), 0, 1);
  }

  @Test
  void realOperators() {
    KilnModel m = KilnText.parse("""
        kiln 1
        model mlp(%x: f32[N, 8]) -> (%y, %lo, %hi, %flat) {
          const %w1: f32[4, 8] = [1, 0, 0, 0, 0, 0, 0, 0,  0, 1, 0, 0, 0, 0, 0, 0,
                                  0, 0, 1, 0, 0, 0, 0, 0,  0, 0, 0, 1, 0, 0, 0, 0]
          const %b1: f32[4] = [0.5, -0.5, 0, 1]
          const %max: f32[] = 6
          const %shape: i64[2] = [-1, 2]
          fc1: %h1 = Gemm(%x, %w1, %b1) {transB = 1, alpha = 1}
          %h2 = Relu(%h1)
          %h3 = Clip(%h2, _, %max)
          %y = Add(%h3, %b1)
          %lo, %hi = Split(%y) {axis = 1, num_outputs = 2}
          %flat = Reshape(%y, %shape)
          %k = Constant() {value = f32[2] [1.0, 2.0]}
        }
        """, "mlp.kiln", Path.of("."));
    Graph g = roundTrip(m, OpRegistry.standard());
    assertEquals(TensorType.of(DType.F32, Dim.named("N"), Dim.of(4)), g.outputs().get(0).type());
    assertEquals(TensorType.of(DType.F32, Dim.named("N"), Dim.of(2)), g.outputs().get(1).type());
    assertEquals(Attribute.of(1.0f), g.nodes().get(0).attributes().get("alpha").orElseThrow());
    assertEquals("fc1", g.nodes().get(0).name());
  }

  @Test
  void realConvolutionalOperators() {
    KilnModel m = KilnText.parse("""
        model conv(%image: f32[N, 1, 4, 4]) -> (%probs) {
          const %w: f32[2, 1, 2, 2] = [1, 0, 0, 1,  0.5, 0.5, 0.5, 0.5]
          const %b: f32[2] = [0, -1]
          "conv": %c = Conv(%image, %w, %b) {kernel_shape = [2, 2], strides = [1, 1]}
          %r = Relu(%c)
          %p: f32[N, 2, 1, 1] = MaxPool(%r) {kernel_shape = [3, 3], strides = [3, 3]}
          %flat = Flatten(%p) {axis = 1}
          %probs = Softmax(%flat) {axis = -1}
        }
        """, "conv.kiln", Path.of("."));
    Graph g = roundTrip(m, OpRegistry.standard());
    assertEquals(TensorType.of(DType.F32, Dim.named("N"), Dim.of(2), Dim.of(3), Dim.of(3)),
        g.nodes().get(0).output(0).type());
    assertEquals(TensorType.of(DType.F32, Dim.named("N"), Dim.of(2)), g.outputs().get(0).type());
  }

  @Test
  void nodeInputsKeepAbsentSlotsInTheMiddle() {
    GraphBuilder b = Graph.builder("clip");
    Value x = b.input("x", TensorType.of(DType.F32, 3));
    Value max = b.constant("max", Tensor.scalar(DType.F32, 2));
    Value y = new Value("y", x.type());
    b.addNode(new Node("", "TClip", ImmutableList.of(Optional.of(x), Optional.empty(),
        Optional.of(max)), ImmutableList.of(y), Attributes.EMPTY));
    b.output(y);
    roundTrip(b.build());
  }
}
