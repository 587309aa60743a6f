package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The edits one run of a graph pass makes, applied at once by {@link #build}: nodes removed or
 * replaced (the replacements take the removed node's place in the order), values replaced by
 * other values, constants added. The graph it was made from is never changed.
 *
 * <p>Replacing a value that is a graph output keeps the output's name, which callers see: the
 * replacement's definition is renamed to it when the replacement is an ordinary node output, and
 * otherwise (a graph input, a constant, another output) an {@code Identity} copies it.
 */
final class GraphEditor {
  private final Graph graph;
  private final Map<String, Constant> constants = new LinkedHashMap<>();
  private final Map<String, Node> producers = new HashMap<>();
  private final Map<String, List<Node>> consumers = new HashMap<>();
  private final Set<String> outputs = new HashSet<>();
  private final Set<String> usedNames = new HashSet<>();
  private final Map<String, Value> substitution = new HashMap<>();
  private final Map<Node, List<Node>> replaced = new IdentityHashMap<>();
  private final List<Constant> addedConstants = new ArrayList<>();
  private int nextName;

  GraphEditor(Graph graph) {
    this.graph = graph;
    for (Constant c : graph.constants()) {
      constants.putIfAbsent(c.value().name(), c);
      usedNames.add(c.value().name());
    }
    graph.inputs().forEach(v -> usedNames.add(v.name()));
    for (Node n : graph.nodes()) {
      for (Value v : n.outputs()) {
        producers.put(v.name(), n);
        usedNames.add(v.name());
      }
      for (Value v : n.presentInputs()) {
        consumers.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(n);
      }
    }
    graph.outputs().forEach(v -> outputs.add(v.name()));
  }

  Graph graph() {
    return graph;
  }

  /** The node that defines {@code v}, if a node does: its replacement when it was replaced. */
  Optional<Node> producer(Value v) {
    return Optional.ofNullable(producers.get(v.name()));
  }

  /** The node that defines {@code v} when it is {@code op}. */
  Optional<Node> producer(Value v, String op) {
    return producer(v).filter(n -> n.op().equals(op));
  }

  /** The nodes of the original graph that read {@code v} (a node reading it twice, twice). */
  List<Node> consumers(Value v) {
    return consumers.getOrDefault(v.name(), List.of());
  }

  boolean isGraphOutput(Value v) {
    return outputs.contains(v.name());
  }

  /**
   * Whether {@code v} is read by exactly one node, once, and is not a graph output: the
   * condition for folding its producer into that consumer.
   */
  boolean hasSingleUse(Value v) {
    return consumers(v).size() == 1 && !isGraphOutput(v);
  }

  /**
   * Whether uses of {@code out} can read {@code with} instead without adding an {@code Identity}:
   * true unless {@code out} is a graph output and {@code with} is not an ordinary node output.
   */
  boolean canForward(Value out, Value with) {
    return !isGraphOutput(out) || (producer(with).isPresent() && !isGraphOutput(with));
  }

  /** The one node that reads {@code v}, when {@link #hasSingleUse} holds. */
  Optional<Node> singleConsumer(Value v) {
    return hasSingleUse(v) ? Optional.of(consumers(v).get(0)) : Optional.empty();
  }

  /** The one node that reads {@code v}, when it is {@code op}. */
  Optional<Node> singleConsumer(Value v, String op) {
    return singleConsumer(v).filter(n -> n.op().equals(op));
  }

  /** The other operand of a two-input node one of whose operands is {@code v}. */
  static Optional<Value> otherOperand(Node binary, Value v) {
    if (binary.inputCount() != 2 || binary.inputs().stream().anyMatch(Optional::isEmpty)) {
      return Optional.empty();
    }
    if (binary.input(0).name().equals(v.name())) {
      return Optional.of(binary.input(1));
    }
    if (binary.input(1).name().equals(v.name())) {
      return Optional.of(binary.input(0));
    }
    return Optional.empty();
  }

  /** Whether {@code v} is a one-element real constant within a relative 1e-5 of {@code expected}. */
  boolean isScalar(Value v, double expected) {
    return scalar(v).filter(c -> Math.abs(c - expected) <= 1e-5 * Math.abs(expected)).isPresent();
  }

  /** The data of {@code v} when it is a constant, looking through {@code Identity} nodes. */
  Optional<Tensor> constant(Value v) {
    Constant c = constants.get(v.name());
    if (c != null) {
      return Optional.of(c.data());
    }
    return producer(v, "Identity").flatMap(n -> constant(n.input(0)));
  }

  /** The scalar value of a constant with one element, e.g. the {@code 2.0} of {@code Pow(x, 2.0)}. */
  Optional<Double> scalar(Value v) {
    return constant(v).filter(t -> t.size() == 1 && t.dtype().isFloating()).map(t -> t.getDouble(0));
  }

  /** A value name not used in the graph, derived from {@code hint}. */
  String freshName(String hint) {
    String name = hint;
    while (!usedNames.add(name)) {
      name = hint + "_" + nextName++;
    }
    return name;
  }

  Value addConstant(String nameHint, Tensor data) {
    Constant c = Constant.inline(freshName(nameHint), data);
    addedConstants.add(c);
    constants.put(c.value().name(), c);
    return c.value();
  }

  /** A constant that takes over the name of a removed node's output. */
  Value addFoldedConstant(String name, Tensor data) {
    Constant c = Constant.inline(name, data);
    addedConstants.add(c);
    constants.put(name, c);
    return c.value();
  }

  /** Removes {@code node}; its outputs must have been replaced or be unused. */
  void remove(Node node) {
    replaced.put(node, List.of());
  }

  /** Puts {@code replacements} where {@code node} was. */
  void replace(Node node, List<Node> replacements) {
    replaced.put(node, List.copyOf(replacements));
    for (Node m : replacements) {
      m.outputs().forEach(v -> producers.put(v.name(), m));
    }
  }

  void replace(Node node, Node replacement) {
    replace(node, List.of(replacement));
  }

  boolean isRemoved(Node node) {
    return replaced.containsKey(node);
  }

  /** Every use of {@code old} reads {@code with} instead. */
  void replaceUses(Value old, Value with) {
    if (!old.name().equals(with.name()) || !old.equals(with)) {
      substitution.put(old.name(), with);
    }
  }

  boolean changed() {
    return !replaced.isEmpty() || !substitution.isEmpty() || !addedConstants.isEmpty();
  }

  /** The value that uses of {@code v} read after the edits so far. */
  Value resolve(Value v) {
    Value r = v;
    for (int guard = 0; guard < 10_000; guard++) {
      Value next = substitution.get(r.name());
      if (next == null || next.equals(r)) {
        return r;
      }
      r = next;
    }
    throw new IllegalStateException("cyclic value substitution at %" + v.name());
  }

  /** The edited graph, or the original instance when nothing was edited. */
  Graph build() {
    if (!changed()) {
      return graph;
    }
    List<Node> nodes = new ArrayList<>();
    for (Node n : graph.nodes()) {
      List<Node> instead = replaced.get(n);
      for (Node m : instead == null ? List.of(n) : instead) {
        nodes.add(withResolvedInputs(m));
      }
    }
    List<Constant> allConstants = new ArrayList<>(graph.constants());
    allConstants.addAll(addedConstants);
    // Graph outputs keep their names: rename the replacing definition, or copy it.
    Map<String, Value> rename = new HashMap<>();
    Set<String> nodeOutputs = new HashSet<>();
    nodes.forEach(n -> n.outputs().forEach(v -> nodeOutputs.add(v.name())));
    List<Node> copies = new ArrayList<>();
    Set<String> renamedAway = new HashSet<>();
    for (Value out : graph.outputs()) {
      Value r = resolve(out);
      if (r.name().equals(out.name())) {
        continue;
      }
      boolean renamable = nodeOutputs.contains(r.name()) && !outputs.contains(r.name())
          && !renamedAway.contains(r.name());
      if (renamable) {
        rename.put(r.name(), new Value(out.name(), r.type()));
        renamedAway.add(r.name());
      } else {
        copies.add(Node.of("Identity", resolvedOrRenamed(r, rename), new Value(out.name(), r.type())));
      }
    }
    if (!rename.isEmpty()) {
      nodes = nodes.stream().map(n -> renamed(n, rename)).toList();
    }
    List<Node> all = new ArrayList<>(nodes);
    all.addAll(copies);
    return new Graph(graph.name(), graph.inputs(), graph.outputs(),
        ImmutableList.copyOf(allConstants), ImmutableList.copyOf(all));
  }

  private static Value resolvedOrRenamed(Value v, Map<String, Value> rename) {
    return rename.getOrDefault(v.name(), v);
  }

  private Node withResolvedInputs(Node n) {
    boolean same = true;
    List<Optional<Value>> inputs = new ArrayList<>();
    for (Optional<Value> in : n.inputs()) {
      Optional<Value> r = in.map(this::resolve);
      same &= r.equals(in);
      inputs.add(r);
    }
    return same ? n : new Node(n.name(), n.op(),
        ImmutableList.copyOf(inputs), n.outputs(), n.attributes());
  }

  private static Node renamed(Node n, Map<String, Value> rename) {
    List<Optional<Value>> inputs = n.inputs().stream()
        .map(in -> in.map(v -> rename.getOrDefault(v.name(), v))).toList();
    List<Value> outs = n.outputs().stream().map(v -> rename.getOrDefault(v.name(), v)).toList();
    return new Node(n.name(), n.op(), ImmutableList.copyOf(inputs),
        ImmutableList.copyOf(outs), n.attributes());
  }

  /** A node with one output of {@code type}, named after {@code hint}. */
  Node node(String op, String nodeName, List<Optional<Value>> inputs, Value output,
      Attributes attrs) {
    return new Node(nodeName, op, ImmutableList.copyOf(inputs),
        ImmutableList.of(output), attrs);
  }
}
