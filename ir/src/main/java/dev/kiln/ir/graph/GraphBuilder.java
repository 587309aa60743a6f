package dev.kiln.ir.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link Graph}. It checks nothing beyond what the records check: run the
 * {@link dev.kiln.ir.verify.Verifier} on the result.
 */
public final class GraphBuilder {
  private String name;
  private final List<Value> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final List<Constant> constants = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final Set<String> usedNames = new HashSet<>();
  private int nextTemp;

  GraphBuilder(String name) {
    this.name = name;
  }

  GraphBuilder(Graph graph) {
    this.name = graph.name();
    inputs.addAll(graph.inputs());
    outputs.addAll(graph.outputs());
    constants.addAll(graph.constants());
    nodes.addAll(graph.nodes());
    graph.inputs().forEach(v -> usedNames.add(v.name()));
    graph.constants().forEach(c -> usedNames.add(c.value().name()));
    graph.nodes().forEach(n -> n.outputs().forEach(v -> usedNames.add(v.name())));
  }

  public GraphBuilder name(String newName) {
    this.name = newName;
    return this;
  }

  public Value input(String valueName, TensorType type) {
    Value v = new Value(valueName, type);
    inputs.add(v);
    usedNames.add(valueName);
    return v;
  }

  public GraphBuilder addInput(Value v) {
    inputs.add(v);
    usedNames.add(v.name());
    return this;
  }

  public GraphBuilder output(Value v) {
    outputs.add(v);
    return this;
  }

  public GraphBuilder clearOutputs() {
    outputs.clear();
    return this;
  }

  public Value constant(String valueName, Tensor data) {
    return addConstant(Constant.inline(valueName, data)).value();
  }

  public Constant addConstant(Constant c) {
    constants.add(c);
    usedNames.add(c.value().name());
    return c;
  }

  public GraphBuilder addNode(Node n) {
    nodes.add(n);
    n.outputs().forEach(v -> usedNames.add(v.name()));
    return this;
  }

  /** Appends a single-output node and returns its output value. */
  public Value node(String op, List<Value> in, TensorType outType, Attributes attrs) {
    Value out = new Value(freshName(op.toLowerCase()), outType);
    addNode(Node.of(op, in, List.of(out), attrs));
    return out;
  }

  /** A value name not used so far in this graph, derived from {@code hint}. */
  public String freshName(String hint) {
    String candidate = hint;
    while (usedNames.contains(candidate)) {
      candidate = hint + "_" + nextTemp++;
    }
    usedNames.add(candidate);
    return candidate;
  }

  public List<Node> nodes() {
    return nodes;
  }

  public Graph build() {
    return new Graph(
        name,
        ImmutableList.copyOf(inputs),
        ImmutableList.copyOf(outputs),
        ImmutableList.copyOf(constants),
        ImmutableList.copyOf(nodes));
  }
}
