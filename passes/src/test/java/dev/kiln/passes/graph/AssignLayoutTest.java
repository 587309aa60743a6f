package dev.kiln.passes.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * assign-layout on networks in the shape of ResNet's and MobileNet's (block 16, a partial last
 * block of 24 channels): the outputs are unchanged on random inputs, the reorders are the
 * region's two edges, and every convolution left NCHW is explained.
 */
class AssignLayoutTest {
  private final Random random = new Random(11);

  private Value node(GraphBuilder b, String op, List<Value> in, Attributes a) {
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> none = new ArrayList<>();
    in.forEach(v -> {
      types.add(Optional.of(v.type()));
      none.add(Optional.empty());
    });
    TensorType t = NodeInference.infer(OpRegistry.standard().lookup(op).orElseThrow(), a, types, none,
        1).types().get(0);
    return b.node(op, in, t, a);
  }

  private Value weights(GraphBuilder b, long... shape) {
    double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextGaussian() * 0.3;
    }
    return b.constant(b.freshName("w"), Tensor.ofDoubles(DType.F32, shape, v));
  }

  private static Attributes.Builder attrs() {
    return Attributes.builder();
  }

  private static long count(Graph g, String op) {
    return g.nodes().stream().filter(n -> n.op().equals(op)).count();
  }

  /** conv 3->24 /2, max pool, a residual block of 3x3 convs, a depthwise conv, global pooling. */
  private Graph resnetLike() {
    GraphBuilder b = Graph.builder("net");
    Value x = b.input("x", TensorType.of(DType.F32, 1, 3, 16, 16));
    Attributes same = attrs().putInts("pads", 1, 1, 1, 1).put("activation", "Relu").build();
    Value c1 = node(b, "FusedConv", List.of(x, weights(b, 24, 3, 3, 3), weights(b, 24)),
        same.toBuilder().putInts("strides", 2, 2).build());
    Value p = node(b, "MaxPool", List.of(c1), attrs().putInts("kernel_shape", 3, 3)
        .putInts("strides", 2, 2).putInts("pads", 1, 1, 1, 1).build());
    Value c2 = node(b, "FusedConv", List.of(p, weights(b, 24, 24, 3, 3), weights(b, 24)), same);
    Value c3 = node(b, "FusedConv", List.of(c2, weights(b, 24, 24, 3, 3), weights(b, 24), p), same);
    Value d = node(b, "FusedConv", List.of(c3, weights(b, 24, 1, 3, 3), weights(b, 24)),
        same.toBuilder().put("group", 24L).put("activation", "Clip")
            .putFloats("activation_params", 0f, 6f).build());
    Value g = node(b, "GlobalAveragePool", List.of(d), Attributes.EMPTY);
    b.output(node(b, "Flatten", List.of(g), Attributes.EMPTY));
    return b.build();
  }

  @Test
  void blocksTheWholeNetworkWithOneReorderAtTheEnd() {
    Graph before = resnetLike();
    Graph after = PassTesting.runChecked(new AssignLayout(16, true), before, 1);
    // The first conv (3 channels) reads the NCHW graph input as it is: no ReorderInput at all,
    // and the max pooling after it is blocked too.
    assertEquals(0, count(after, "ReorderInput"), PassTesting.print(after));
    assertEquals(1, count(after, "ReorderOutput"), PassTesting.print(after));
    assertEquals(4, count(after, "NchwcConv"));
    assertEquals(1, count(after, "NchwcMaxPool"));
    assertEquals(1, count(after, "NchwcGlobalAveragePool"));
    assertEquals(0, count(after, "FusedConv"));
    Node first = after.nodes().stream().filter(n -> n.op().equals("NchwcConv")).findFirst().orElseThrow();
    assertEquals("x", first.input(0).name());
    assertEquals(4, first.input(0).type().rank());
  }

  @Test
  void aFewChannelsComputedBlockedAreReadBlocked() {
    GraphBuilder b = Graph.builder("narrow");
    Value x = b.input("x", TensorType.of(DType.F32, 1, 16, 6, 6));
    Value c1 = node(b, "Conv", List.of(x, weights(b, 3, 16, 1, 1)), Attributes.EMPTY);
    Value c2 = node(b, "Relu", List.of(c1), Attributes.EMPTY);
    b.output(node(b, "Conv", List.of(c2, weights(b, 16, 3, 3, 3)), attrs().putInts("pads", 1, 1, 1, 1).build()));
    Graph after = PassTesting.runChecked(new AssignLayout(16, true), b.build(), 3);
    assertEquals(1, count(after, "ReorderInput"), PassTesting.print(after));
    assertEquals(2, count(after, "NchwcConv"), PassTesting.print(after));
    after.nodes().stream().filter(n -> n.op().equals("NchwcConv"))
        .forEach(n -> assertEquals(5, n.input(0).type().rank(), n.toString()));
  }

  @Test
  void explainsEveryConvolutionItLeavesAlone() {
    List<String> remarks = PassTesting.remarks(new AssignLayout(16, true), resnetLike());
    assertEquals(0, remarks.size(), remarks.toString());

    remarks = PassTesting.remarks(new AssignLayout(16, false), resnetLike());
    assertEquals(3, remarks.stream().filter(r -> r.contains("option dense=false")).count(),
        remarks.toString());
    assertTrue(remarks.get(0).startsWith("assign-layout: FusedConv node"), remarks.get(0));

    GraphBuilder d = Graph.builder("depthwise");
    Value dx = d.input("x", TensorType.of(DType.F32, 1, 4, 4, 4));
    d.output(node(d, "Conv", List.of(dx, weights(d, 4, 1, 3, 3)), attrs().put("group", 4L).build()));
    remarks = PassTesting.remarks(new AssignLayout(16, true), d.build());
    assertEquals(1, remarks.size(), remarks.toString());
    assertTrue(remarks.get(0).contains("depthwise over 4 channels of %x, fewer than half a block of 16"),
        remarks.get(0));

    GraphBuilder b = Graph.builder("alone");
    Value x = b.input("x", TensorType.of(DType.F32, 1, 16, 4, 4));
    b.output(node(b, "Conv", List.of(x, weights(b, 16, 8, 1, 1)), attrs().put("group", 2L).build()));
    b.output(node(b, "FusedConv", List.of(x, weights(b, 16, 16, 1, 1)),
        attrs().put("activation", "Sigmoid").build()));
    Value h = b.input("h", TensorType.of(DType.F64, 1, 16, 4, 4));
    b.output(node(b, "Conv", List.of(h, b.constant("w64", Tensor.zeros(DType.F64, 16, 16, 1, 1))),
        Attributes.EMPTY));
    Graph alone = b.build();
    remarks = PassTesting.remarks(new AssignLayout(16, true), alone);
    assertEquals(3, remarks.size(), remarks.toString());
    assertTrue(remarks.get(0).contains("group 2 is neither dense (1) nor depthwise (16)"), remarks.get(0));
    assertTrue(remarks.get(1).contains("activation Sigmoid does not map 0 to 0"), remarks.get(1));
    assertTrue(remarks.get(2).contains("only f32 2-D convolutions are blocked"), remarks.get(2));
    assertSame(alone, PassTesting.run(new AssignLayout(16, true), alone));
  }

  @Test
  void aBlockOfOneIsTheLayoutItselfPlusALaneAxis() {
    Graph after = PassTesting.runChecked(new AssignLayout(1, true), resnetLike(), 2);
    // With b = 1 even the 3-channel conv is blocked: one ReorderInput of the graph input.
    assertEquals(0, count(after, "FusedConv"));
    assertEquals(1, count(after, "ReorderInput"));
    assertTrue(after.nodes().stream().map(Node::op).anyMatch("NchwcMaxPool"::equals));
  }

  @Test
  void rejectsABlockThatIsNotPositive() {
    assertThrows(IllegalArgumentException.class, () -> new AssignLayout(0, true));
  }
}
