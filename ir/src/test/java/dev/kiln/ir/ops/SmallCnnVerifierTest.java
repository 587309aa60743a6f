package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCall.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.verify.Verifier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A small CNN classifier as a graph, checked by the verifier: operators of all three families. */
class SmallCnnVerifierTest {
  private static Graph classifier(TensorType convDeclared, long convChannels) {
    GraphBuilder g = Graph.builder("cnn");
    Value x = g.input("x", f32("N", convChannels, 8, 8));
    Value w = g.constant("w", Tensor.zeros(DType.F32, 4, 3, 3, 3));
    Value b = g.constant("b", Tensor.zeros(DType.F32, 4));
    Value conv =
        g.node("Conv", List.of(x, w, b), convDeclared, Attributes.builder().putInts("pads", 1, 1, 1, 1).build());
    Value pool =
        g.node(
            "MaxPool",
            List.of(conv),
            f32("N", 4, 4, 4),
            Attributes.builder().putInts("kernel_shape", 2, 2).putInts("strides", 2, 2).build());
    Value axes = g.constant("axes", Tensor.ofLongs(new long[] {2}, 2, 3));
    Value features =
        g.node("ReduceSum", List.of(pool, axes), f32("N", 4), Attributes.builder().put("keepdims", 0L).build());
    Value fc = g.constant("fc", Tensor.zeros(DType.F32, 10, 4));
    Value logits =
        g.node("Gemm", List.of(features, fc), f32("N", 10), Attributes.builder().put("transB", 1L).build());
    Value probs = new Value("probs", f32("N", 10));
    g.addNode(Node.of("Softmax", logits, probs));
    g.output(probs);
    return g.build();
  }

  @Test
  void wellTypedGraphVerifies() {
    assertEquals(List.of(), Verifier.standard().verify(classifier(f32("N", 4, 8, 8), 3)));
  }

  @Test
  void wrongDeclaredConvOutputIsReportedOnTheNode() {
    // The pool downstream is checked against the declared (wrong) type, so it disagrees too.
    assertEquals(
        "[Conv node defining %conv: declares %conv: f32[N, 4, 6, 6] but Conv gives f32[N, 4, 8, 8],"
            + " MaxPool node defining %maxpool: declares %maxpool: f32[N, 4, 4, 4] but MaxPool"
            + " gives f32[N, 4, 3, 3]]",
        Verifier.standard().verify(classifier(f32("N", 4, 6, 6), 3)).toString());
  }

  @Test
  void channelMismatchIsReportedOnTheNode() {
    assertEquals(
        "[Conv node defining %conv: channel mismatch: input 0 (X) f32[N, 5, 8, 8] has 5 channels,"
            + " but input 1 (W) f32[4, 3, 3, 3] with group 1 expects 3 x 1 = 3]",
        Verifier.standard().verify(classifier(f32("N", 4, 8, 8), 5)).toString());
  }
}
