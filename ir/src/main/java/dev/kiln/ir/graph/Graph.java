package dev.kiln.ir.graph;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A model at the graph level: named inputs and outputs, constants, and nodes in a topological
 * order. Immutable; change it with {@link #toBuilder()}. Structural equality: two graphs that
 * print the same are equal.
 */
public record Graph(
    String name,
    ImmutableList<Value> inputs,
    ImmutableList<Value> outputs,
    ImmutableList<Constant> constants,
    ImmutableList<Node> nodes) {

  public Graph {
    inputs = ImmutableList.copyOf(inputs);
    outputs = ImmutableList.copyOf(outputs);
    constants = ImmutableList.copyOf(constants);
    nodes = ImmutableList.copyOf(nodes);
  }

  public static GraphBuilder builder(String name) {
    return new GraphBuilder(name);
  }

  public GraphBuilder toBuilder() {
    return new GraphBuilder(this);
  }

  /** The constants by value name, in declaration order. */
  public ImmutableMap<String, Constant> constantsByName() {
    Map<String, Constant> m = new LinkedHashMap<>();
    for (Constant c : constants) {
      m.putIfAbsent(c.value().name(), c);
    }
    return ImmutableMap.copyOf(m);
  }

  /** The node defining each node output, by value name. */
  public ImmutableMap<String, Node> producers() {
    Map<String, Node> m = new LinkedHashMap<>();
    for (Node n : nodes) {
      for (Value v : n.outputs()) {
        m.putIfAbsent(v.name(), n);
      }
    }
    return ImmutableMap.copyOf(m);
  }

  public Optional<Value> input(String valueName) {
    return inputs.stream().filter(v -> v.name().equals(valueName)).findFirst();
  }

  public Optional<Value> output(String valueName) {
    return outputs.stream().filter(v -> v.name().equals(valueName)).findFirst();
  }
}
