package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code recognize-gelu}: the GELU subgraphs that exporters write become one {@code Gelu} node.
 * Two inner forms, each found from its {@code Erf} or {@code Tanh}:
 *
 * <ul>
 *   <li>exact: {@code erf(x / sqrt(2))} (or {@code x * (1 / sqrt(2))}), giving {@code Gelu(x)};
 *   <li>tanh: {@code tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))} with {@code x^3} as
 *       {@code Pow(x, 3)} or {@code x * (x * x)}, giving {@code Gelu(x) {approximate = "tanh"}};
 * </ul>
 *
 * then {@code + 1} and the product with x and 0.5 in any of PyTorch's orders:
 * {@code (x * (1 + f)) * 0.5}, {@code (x * 0.5) * (1 + f)} or {@code x * ((1 + f) * 0.5)}, operands
 * of Add and Mul either way round. Every intermediate must have no other use.
 */
public final class RecognizeGelu implements GraphPass {
  public static final String NAME = "recognize-gelu";

  private static final double SQRT_2 = Math.sqrt(2);
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

  /** A match: the input x, the nodes it replaces and the node whose output is the GELU. */
  private record Match(Value x, List<Node> nodes, Node last) {}

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    for (Node n : graph.nodes()) {
      if (!n.op().equals("Erf") && !n.op().equals("Tanh")) {
        continue;
      }
      List<Node> nodes = new ArrayList<>();
      Result r = n.op().equals("Erf") ? erf(n, edit, nodes) : tanh(n, edit, nodes);
      if (r.why.isPresent()) {
        if (context.explain()) {
          context.remark(NAME, n.describe(), "no GELU: " + r.why.get());
        }
        continue;
      }
      Match m = r.match.get();
      if (m.nodes().stream().anyMatch(edit::isRemoved)) {
        continue;
      }
      Attributes attrs = n.op().equals("Erf") ? Attributes.EMPTY
          : Attributes.builder().put("approximate", "tanh").build();
      m.nodes().forEach(edit::remove);
      edit.replace(m.last(), new Node(m.last().name(), "Gelu",
          ImmutableList.of(Optional.of(m.x())), m.last().outputs(), attrs));
    }
    return edit.build();
  }

  /** A match, or why there is none. */
  private record Result(Optional<Match> match, Optional<String> why) {
    static Result no(String why) {
      return new Result(Optional.empty(), Optional.of(why));
    }
  }

  private static Result erf(Node erf, GraphEditor edit, List<Node> nodes) {
    Value u = erf.input(0);
    Optional<Node> scaled = edit.producer(u).filter(p -> edit.hasSingleUse(u));
    if (scaled.isEmpty()) {
      return Result.no("Erf's input is not x / sqrt(2) used only here");
    }
    Node s = scaled.get();
    Value x;
    if (s.op().equals("Div") && edit.isScalar(s.input(1), SQRT_2)) {
      x = s.input(0);
    } else if (s.op().equals("Mul") && edit.isScalar(s.input(1), 1 / SQRT_2)) {
      x = s.input(0);
    } else if (s.op().equals("Mul") && edit.isScalar(s.input(0), 1 / SQRT_2)) {
      x = s.input(1);
    } else {
      return Result.no("Erf's input is not x / sqrt(2) or x * (1 / sqrt(2))");
    }
    nodes.add(s);
    nodes.add(erf);
    return tail(erf.output(0), x, edit, nodes);
  }

  private static Result tanh(Node tanh, GraphEditor edit, List<Node> nodes) {
    Value v = tanh.input(0);
    Optional<Node> mul = edit.producer(v, "Mul").filter(p -> edit.hasSingleUse(v));
    if (mul.isEmpty()) {
      return Result.no("Tanh's input is not sqrt(2 / pi) * (...) used only here");
    }
    Optional<Value> inner = scaledBy(mul.get(), SQRT_2_OVER_PI, edit);
    if (inner.isEmpty()) {
      return Result.no("Tanh's input is not a product with sqrt(2 / pi)");
    }
    Optional<Node> sum = edit.producer(inner.get(), "Add").filter(p -> edit.hasSingleUse(inner.get()));
    if (sum.isEmpty()) {
      return Result.no("sqrt(2 / pi) multiplies something other than x + 0.044715 x^3");
    }
    // x + 0.044715 * cube(x), either way round.
    for (int side = 0; side < 2; side++) {
      Value x = sum.get().input(side);
      Value term = sum.get().input(1 - side);
      Optional<Node> termMul = edit.producer(term, "Mul").filter(p -> edit.hasSingleUse(term));
      if (termMul.isEmpty()) {
        continue;
      }
      Optional<Value> cube = scaledBy(termMul.get(), 0.044715, edit);
      if (cube.isEmpty() || !edit.hasSingleUse(cube.get())) {
        continue;
      }
      Optional<List<Node>> cubeNodes = cubeOf(cube.get(), x, edit);
      if (cubeNodes.isEmpty()) {
        continue;
      }
      nodes.addAll(cubeNodes.get());
      nodes.addAll(List.of(termMul.get(), sum.get(), mul.get(), tanh));
      return tail(tanh.output(0), x, edit, nodes);
    }
    return Result.no("the argument of tanh is not x + 0.044715 * x^3");
  }

  /** The other operand of {@code mul} when one operand is the scalar {@code factor}. */
  private static Optional<Value> scaledBy(Node mul, double factor, GraphEditor edit) {
    if (edit.isScalar(mul.input(1), factor)) {
      return Optional.of(mul.input(0));
    }
    if (edit.isScalar(mul.input(0), factor)) {
      return Optional.of(mul.input(1));
    }
    return Optional.empty();
  }

  /** The nodes computing {@code cube} as {@code Pow(x, 3)} or {@code x * (x * x)}. */
  private static Optional<List<Node>> cubeOf(Value cube, Value x, GraphEditor edit) {
    Optional<Node> p = edit.producer(cube);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Node n = p.get();
    if (n.op().equals("Pow") && n.input(0).equals(x) && edit.isScalar(n.input(1), 3)) {
      return Optional.of(List.of(n));
    }
    if (n.op().equals("Mul")) {
      Optional<Value> square = GraphEditor.otherOperand(n, x);
      if (square.isPresent() && edit.hasSingleUse(square.get())) {
        Optional<Node> sq = edit.producer(square.get(), "Mul")
            .filter(m -> m.input(0).equals(x) && m.input(1).equals(x));
        if (sq.isPresent()) {
          return Optional.of(List.of(sq.get(), n));
        }
      }
    }
    return Optional.empty();
  }

  /** From {@code f} (erf or tanh of the scaled x): {@code + 1}, then times x and 0.5. */
  private static Result tail(Value f, Value x, GraphEditor edit, List<Node> nodes) {
    Optional<Node> plusOne = edit.singleConsumer(f, "Add")
        .filter(a -> GraphEditor.otherOperand(a, f).filter(c -> edit.isScalar(c, 1)).isPresent());
    if (plusOne.isEmpty()) {
      return Result.no("the result is not used only by an Add of 1");
    }
    nodes.add(plusOne.get());
    Value a = plusOne.get().output(0);
    Optional<Node> times = edit.singleConsumer(a, "Mul");
    if (times.isEmpty()) {
      return Result.no("1 + f is not used only by a Mul");
    }
    Node m = times.get();
    Value other = GraphEditor.otherOperand(m, a).orElseThrow();
    if (other.equals(x)) {
      // (x * (1 + f)) * 0.5
      Optional<Node> half = edit.singleConsumer(m.output(0), "Mul").filter(h ->
          GraphEditor.otherOperand(h, m.output(0)).filter(c -> edit.isScalar(c, 0.5)).isPresent());
      if (half.isEmpty()) {
        return Result.no("x * (1 + f) is not used only by a Mul by 0.5");
      }
      nodes.add(m);
      return new Result(Optional.of(new Match(x, nodes, half.get())), Optional.empty());
    }
    if (edit.isScalar(other, 0.5)) {
      // x * ((1 + f) * 0.5)
      Optional<Node> byX = edit.singleConsumer(m.output(0), "Mul")
          .filter(h -> GraphEditor.otherOperand(h, m.output(0)).filter(x::equals).isPresent());
      if (byX.isEmpty()) {
        return Result.no("(1 + f) * 0.5 is not used only by a Mul with x");
      }
      nodes.add(m);
      return new Result(Optional.of(new Match(x, nodes, byX.get())), Optional.empty());
    }
    // (x * 0.5) * (1 + f)
    Optional<Node> halfX = edit.producer(other, "Mul").filter(h -> edit.hasSingleUse(other)
        && GraphEditor.otherOperand(h, x).filter(c -> edit.isScalar(c, 0.5)).isPresent());
    if (halfX.isEmpty()) {
      return Result.no("1 + f is multiplied by something other than x, 0.5 or 0.5 * x");
    }
    nodes.add(halfX.get());
    return new Result(Optional.of(new Match(x, nodes, m)), Optional.empty());
  }
}
