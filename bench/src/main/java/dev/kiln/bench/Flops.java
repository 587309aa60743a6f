package dev.kiln.bench;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.type.Dim;
import java.util.List;
import java.util.OptionalLong;

/**
 * The floating-point operations of a single-operator model (one MatMul, Gemm or Conv, maybe with
 * Identity nodes around it), counting a multiply-add as two and leaving out the bias: the usual
 * convention for GFLOP/s. Empty for any other model, or when a shape is not static.
 */
final class Flops {
  private Flops() {}

  static OptionalLong ofSingleOp(Graph graph) {
    List<Node> compute = graph.nodes().stream().filter(n -> !n.op().equals("Identity")).toList();
    if (compute.size() != 1) {
      return OptionalLong.empty();
    }
    Node node = compute.getFirst();
    long[] out = sizes(node.output(0));
    if (out == null) {
      return OptionalLong.empty();
    }
    return switch (node.op()) {
      case "MatMul" -> {
        long[] a = sizes(node.input(0));
        yield a == null || a.length == 0 ? OptionalLong.empty()
            : OptionalLong.of(2 * product(out, 0) * a[a.length - 1]);
      }
      case "Gemm" -> {
        long[] a = sizes(node.input(0));
        boolean transA = node.attributes().getInt("transA", 0) != 0;
        yield a == null || a.length != 2 ? OptionalLong.empty()
            : OptionalLong.of(2 * product(out, 0) * (transA ? a[0] : a[1]));
      }
      case "Conv" -> {
        long[] w = sizes(node.input(1));
        yield w == null || w.length < 2 ? OptionalLong.empty()
            : OptionalLong.of(2 * product(out, 0) * product(w, 1));
      }
      default -> OptionalLong.empty();
    };
  }

  /** The sizes of a value's static shape, or null when a dimension is symbolic or unknown. */
  private static long[] sizes(Value v) {
    List<Dim> dims = v.type().shape().dims();
    long[] sizes = new long[dims.size()];
    for (int i = 0; i < sizes.length; i++) {
      if (!(dims.get(i) instanceof Dim.Known k)) {
        return null;
      }
      sizes[i] = k.size();
    }
    return sizes;
  }

  private static long product(long[] sizes, int from) {
    long p = 1;
    for (int i = from; i < sizes.length; i++) {
      p *= sizes[i];
    }
    return p;
  }
}
