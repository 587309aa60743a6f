package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Cases.pick;
import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.Cases.Case;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The blocked-layout operators with random blocks (partial last blocks included), channel
 * counts, window geometry, biases, residuals and activations. The blocked inputs of NchwcConv
 * come from ReorderInput nodes, so that their lanes past the last channel are zero, as the
 * layout requires; the pools and ReorderOutput take random blocked tensors (they pool or drop
 * every lane).
 */
final class LayoutCases {
  private LayoutCases() {}

  static void add(Map<String, Case> c) {
    c.put("ReorderInput", new Case(r -> new OneNode(r).in(DType.F32, image(r))
        .node("ReorderInput", attrs().put("channels_block", block(r)).build()), false));
    c.put("ReorderOutput", new Case(r -> {
      long b = block(r);
      long channels = 1 + r.nextInt(9);
      long[] x = image(r);
      return new OneNode(r).in(DType.F32, x[0], Math.ceilDiv(channels, b), x[2], x[3], b)
          .node("ReorderOutput", attrs().put("channels", channels).build());
    }, false));
    for (String op : List.of("NchwcMaxPool", "NchwcAveragePool")) {
      c.put(op, new Case(r -> {
        long[] kernel = NnCases.kernel(r, 2);
        Attributes.Builder a = NnCases.window(r, 2, kernel, true).putInts("kernel_shape", kernel);
        if (op.equals("NchwcAveragePool")) {
          a.put("count_include_pad", r.nextBoolean() ? 1L : 0L);
        }
        long[] x = blocked(r);
        return new OneNode(r).in(DType.F32, x).node(op, a.put("channels_block", x[4]).build());
      }, false));
    }
    c.put("NchwcGlobalAveragePool", new Case(r -> {
      long[] x = blocked(r);
      return new OneNode(r).in(DType.F32, x)
          .node("NchwcGlobalAveragePool", attrs().put("channels_block", x[4]).build());
    }, false));
    c.put("NchwcConv", new Case(LayoutCases::conv, false));
  }

  private static Graph conv(Random r) {
    long b = block(r);
    boolean depthwise = r.nextBoolean();
    long channels = 1 + r.nextInt(9);
    long outChannels = depthwise ? channels : 1 + r.nextInt(9);
    long[] kernel = NnCases.kernel(r, 2);
    long[] x = image(r);
    x[1] = channels;
    Attributes.Builder a = NnCases.window(r, 2, kernel, false).put("channels", channels)
        .put("channels_block", b);
    if (depthwise) {
      a.put("group", channels);
    }
    switch (r.nextInt(4)) {
      case 0 -> a.put("activation", "Relu");
      case 1 -> a.put("activation", "LeakyRelu").putFloats("activation_params", 0.1f);
      case 2 -> a.put("activation", "Clip").putFloats("activation_params", -1f, 1f);
      default -> {}
    }
    OneNode n = new OneNode(r).in(DType.F32, x);
    blockInput(n, 0, b);
    long[] w = {outChannels, depthwise ? 1 : channels, kernel[0], kernel[1]};
    if (r.nextBoolean()) {
      n.in(DType.F32, w);
    } else {
      n.constant(Differential.random(DType.F32, w, r, false));
    }
    boolean residual = r.nextBoolean();
    if (r.nextBoolean() || residual) {
      if (r.nextBoolean()) {
        n.in(DType.F32, outChannels);
      } else {
        n.absent();
      }
    }
    Attributes attributes = a.build();
    if (residual) {
      // Z has Y's logical shape: infer it from the FusedConv the node is.
      TensorType y = NodeInference.infer(Differential.OPS.lookup("NchwcConv").orElseThrow(),
          attributes, n.inputs.stream().map(v -> v.map(Value::type)).toList(),
          n.inputs.stream().map(v -> Optional.<dev.kiln.ir.tensor.Tensor>empty()).toList(), 1)
          .types().get(0);
      n.in(DType.F32, y.shape().dim(0).size(), outChannels, y.shape().dim(2).size(),
          y.shape().dim(3).size());
      blockInput(n, 3, b);
    }
    return n.node("NchwcConv", attributes);
  }

  /** Replaces input {@code i} (NCHW) of the node under construction by its ReorderInput. */
  private static void blockInput(OneNode n, int i, long b) {
    Value v = n.inputs.get(i).orElseThrow();
    Attributes attrs = attrs().put("channels_block", b).build();
    TensorType t = NodeInference.infer(Differential.OPS.lookup("ReorderInput").orElseThrow(),
        attrs, List.of(Optional.of(v.type())), List.of(Optional.empty()), 1).types().get(0);
    n.inputs.set(i, Optional.of(n.b.node("ReorderInput", List.of(v), t, attrs)));
  }

  private static long block(Random r) {
    return pick(r, List.of(1L, 2L, 4L, 4L, 8L));
  }

  /** [N, C, H, W] with up to 9 channels (several blocks, partial ones), H and W 5 to 8. */
  private static long[] image(Random r) {
    long[] x = NnCases.image(r, 2);
    x[1] = 1 + r.nextInt(9);
    x[2] += 2;
    x[3] += 2;
    return x;
  }

  private static long[] blocked(Random r) {
    long[] x = image(r);
    return new long[] {x[0], 1 + r.nextInt(3), x[2], x[3], block(r)};
  }
}
