package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Shape;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code recognize-layernorm}: the layer normalization that exporters write as arithmetic becomes
 * one {@code LayerNormalization} node. Found from its first {@code ReduceMean}:
 *
 * <pre>
 *   mean = ReduceMean(x, trailing axes)        d = Sub(x, mean)
 *   var  = ReduceMean(Pow(d, 2) or Mul(d, d))  n = Div(d, Sqrt(Add(var, epsilon)))
 *   then optionally Mul(n, scale) and Add(., bias) with constant scale and bias
 * </pre>
 *
 * The reduced axes must be the trailing ones (LayerNormalization's {@code axis} onward), with
 * {@code keepdims = 1}; scale and bias must only vary along them. Without a Mul the scale is a
 * constant of ones. Every intermediate must have no other use ({@code d} exactly two).
 */
public final class RecognizeLayerNorm implements GraphPass {
  public static final String NAME = "recognize-layernorm";

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    for (Node n : graph.nodes()) {
      if (!n.op().equals("ReduceMean") || edit.isRemoved(n)) {
        continue;
      }
      Optional<String> why = match(n, edit);
      if (why.isPresent() && context.explain()) {
        context.remark(NAME, n.describe(), "no LayerNormalization: " + why.get());
      }
    }
    return edit.build();
  }

  private static Optional<String> match(Node mean, GraphEditor edit) {
    Value x = mean.input(0);
    int rank = x.type().rank();
    Optional<Integer> axis = trailingAxis(mean, rank, edit);
    if (axis.isEmpty()) {
      return Optional.of("it does not reduce the trailing axes with keepdims = 1");
    }
    Optional<Node> sub = edit.singleConsumer(mean.output(0), "Sub")
        .filter(s -> s.input(0).equals(x) && s.input(1).equals(mean.output(0)));
    if (sub.isEmpty()) {
      return Optional.of("the mean is not used only by x - mean");
    }
    Value d = sub.get().output(0);
    List<Node> uses = edit.consumers(d);
    if (edit.isGraphOutput(d) || uses.size() != 2 && uses.size() != 3) {
      return Optional.of("x - mean is not used by exactly a square and a division");
    }
    Optional<Node> square = uses.stream().filter(u -> u.op().equals("Pow")
        && u.input(0).equals(d) && edit.isScalar(u.input(1), 2)
        || u.op().equals("Mul") && u.input(0).equals(d) && u.input(1).equals(d)).findFirst();
    Optional<Node> div = uses.stream().filter(u -> u.op().equals("Div") && u.input(0).equals(d))
        .findFirst();
    int expectedUses = square.isPresent() && square.get().op().equals("Mul") ? 3 : 2;
    if (square.isEmpty() || div.isEmpty() || uses.size() != expectedUses) {
      return Optional.of("x - mean is not used by exactly a square and a division");
    }
    Optional<Node> variance = edit.singleConsumer(square.get().output(0), "ReduceMean")
        .filter(v -> trailingAxis(v, rank, edit).equals(axis));
    if (variance.isEmpty()) {
      return Optional.of("the square is not used only by a ReduceMean over the same axes");
    }
    Optional<Node> plusEps = edit.singleConsumer(variance.get().output(0), "Add");
    Optional<Value> eps = plusEps.flatMap(a -> GraphEditor.otherOperand(a, variance.get().output(0)))
        .filter(e -> edit.scalar(e).isPresent());
    if (eps.isEmpty()) {
      return Optional.of("the variance is not used only by an Add of a constant epsilon");
    }
    Optional<Node> sqrt = edit.singleConsumer(plusEps.get().output(0), "Sqrt");
    if (sqrt.isEmpty() || !div.get().input(1).equals(sqrt.get().output(0))
        || !edit.hasSingleUse(sqrt.get().output(0))) {
      return Optional.of("(x - mean) is not divided by sqrt(variance + epsilon)");
    }
    List<Node> nodes = new ArrayList<>(List.of(mean, sub.get(), square.get(), variance.get(),
        plusEps.get(), sqrt.get()));
    Node last = div.get();
    Optional<Value> scale = Optional.empty();
    Optional<Value> bias = Optional.empty();
    Optional<Node> mul = edit.singleConsumer(last.output(0), "Mul");
    if (mul.isPresent()) {
      Value other = GraphEditor.otherOperand(mul.get(), last.output(0)).orElseThrow();
      if (varyOnlyAlong(other, axis.get(), x, mul.get(), edit)) {
        nodes.add(last);
        last = mul.get();
        scale = Optional.of(other);
      }
    }
    Optional<Node> add = edit.singleConsumer(last.output(0), "Add");
    if (add.isPresent()) {
      Value other = GraphEditor.otherOperand(add.get(), last.output(0)).orElseThrow();
      if (varyOnlyAlong(other, axis.get(), x, add.get(), edit)) {
        nodes.add(last);
        last = add.get();
        bias = Optional.of(other);
      }
    }
    if (scale.isEmpty()) {
      Shape normalized = Shape.of(x.type().shape().dims().subList(axis.get(), rank));
      if (!normalized.isStatic()) {
        return Optional.of("there is no scale and the normalized dims " + normalized
            + " are not static, so a scale of ones cannot be made");
      }
      TensorWriter ones = TensorWriter.of(x.type().dtype(), normalized.toLongArray());
      for (long i = 0; i < ones.size(); i++) {
        ones.setDouble(i, 1);
      }
      scale = Optional.of(edit.addConstant(x.name() + ".ln_scale", ones.build()));
    }
    if (nodes.stream().anyMatch(edit::isRemoved) || edit.isRemoved(last)) {
      return Optional.of("it overlaps another match");
    }
    nodes.forEach(edit::remove);
    Attributes attrs = Attributes.builder().put("axis", (long) axis.get())
        .put("epsilon", (float) (double) edit.scalar(eps.get()).get()).build();
    List<Optional<Value>> inputs = new ArrayList<>(List.of(Optional.of(x), scale));
    bias.ifPresent(b -> inputs.add(Optional.of(b)));
    edit.replace(last, new Node(last.name(), "LayerNormalization", ImmutableList.copyOf(inputs),
        last.outputs(), attrs));
    return Optional.empty();
  }

  /** The first reduced axis when {@code reduce} reduces exactly the trailing axes, keeping dims. */
  private static Optional<Integer> trailingAxis(Node reduce, int rank, GraphEditor edit) {
    if (reduce.attributes().getInt("keepdims", 1) != 1) {
      return Optional.empty();
    }
    long[] axes;
    if (reduce.optionalInput(1).isPresent()) {
      Optional<Tensor> t = edit.constant(reduce.input(1));
      if (t.isEmpty()) {
        return Optional.empty();
      }
      axes = t.get().toLongArray();
    } else {
      axes = reduce.attributes().getInts("axes").orElse(new long[0]);
    }
    if (axes.length == 0) {
      return Optional.empty();
    }
    long[] normalized = Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
    int first = (int) normalized[0];
    for (int i = 0; i < normalized.length; i++) {
      if (normalized[i] != first + i) {
        return Optional.empty();
      }
    }
    return normalized[normalized.length - 1] == rank - 1 ? Optional.of(first) : Optional.empty();
  }

  /**
   * Whether {@code p} is a constant that varies only along the normalized dims (its shape,
   * aligned to x's from the right, is 1 before {@code axis}), so that {@code node} applying it
   * keeps x's shape.
   */
  private static boolean varyOnlyAlong(Value p, int axis, Value x, Node node, GraphEditor edit) {
    if (edit.constant(p).isEmpty() || !node.output(0).type().equals(x.type())) {
      return false;
    }
    Shape s = p.type().shape();
    int rank = x.type().rank();
    for (int i = 0; i < s.rank(); i++) {
      int xAxis = rank - s.rank() + i;
      if (xAxis < axis && !(s.dim(i).isKnown() && s.dim(i).size() == 1)) {
        return false;
      }
    }
    return s.rank() <= rank;
  }
}
