package dev.kiln.passes.shape;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Specializes a verified graph to concrete input shapes, since compiled code is specialized to
 * shapes: binds every symbolic dim from the given input shapes (consistently across inputs),
 * re-runs inference node by node with the bound types, and replaces every node whose outputs are
 * then known at compile time ({@code Shape}, {@code ConstantOfShape} of a constant, shape
 * arithmetic, {@code Constant}) by constants. The result has only static types; a shape that
 * still depends on input data is an error naming the node.
 *
 * <p>Inputs whose values decide shapes ({@link CompileTimeInputs}) may be given values as well:
 * their consumers then read a constant with those values (the graph input stays, so the
 * signature does not change), and inference folds through them as through any constant. The
 * resulting graph is correct only for those values.
 */
public final class BindShapes {
  private final Graph graph;
  private final OpRegistry registry;
  private final Map<String, Long> bound = new HashMap<>();
  private final Map<String, String> boundBy = new HashMap<>();

  private BindShapes(Graph graph, OpRegistry registry) {
    this.graph = graph;
    this.registry = registry;
  }

  /**
   * @param graph a graph that passed the verifier for {@code registry}
   * @param inputShapes a shape for every graph input, by value name (without {@code %})
   * @throws ShapeBindingException when the shapes do not fit the declared inputs (all such
   *     problems at once), when a node rejects the bound types, or when a shape depends on data
   */
  public static Graph bind(Graph graph, Map<String, long[]> inputShapes, OpRegistry registry) {
    return bind(graph, inputShapes, Map.of(), registry);
  }

  public static Graph bind(Graph graph, Map<String, long[]> inputShapes) {
    return bind(graph, inputShapes, OpRegistry.standard());
  }

  /**
   * Like {@link #bind(Graph, Map, OpRegistry)}, with the values of some inputs known as well.
   *
   * @param inputValues values for some graph inputs (by name), each of the input's dtype and of
   *     the shape given for it in {@code inputShapes}
   * @throws ShapeBindingException also when a value is given for a name that is not an input, or
   *     does not have the input's dtype and given shape
   */
  public static Graph bind(Graph graph, Map<String, long[]> inputShapes,
      Map<String, Tensor> inputValues, OpRegistry registry) {
    return new BindShapes(graph, registry).run(inputShapes, inputValues);
  }

  public static Graph bind(Graph graph, Map<String, long[]> inputShapes,
      Map<String, Tensor> inputValues) {
    return bind(graph, inputShapes, inputValues, OpRegistry.standard());
  }

  private Graph run(Map<String, long[]> inputShapes, Map<String, Tensor> inputValues) {
    Map<String, Value> values = new HashMap<>();
    Map<String, Tensor> constants = new HashMap<>();
    GraphBuilder out = Graph.builder(graph.name());
    List<Value> inputs = bindInputs(inputShapes);
    for (Value in : inputs) {
      out.addInput(in);
      values.put(in.name(), in);
    }
    for (Constant c : graph.constants()) {
      out.addConstant(c);
      values.put(c.value().name(), c.value());
      constants.put(c.value().name(), c.data());
    }
    for (Map.Entry<String, Constant> e : valueConstants(inputs, inputValues).entrySet()) {
      // Consumers read the constant; the input itself stays (unread) so the signature holds.
      String input = e.getKey();
      Constant c = e.getValue();
      out.addConstant(c);
      values.put(input, c.value());
      constants.put(input, c.data());
    }
    for (Node node : graph.nodes()) {
      bindNode(node, values, constants, out);
    }
    Map<String, Value> byName = new HashMap<>();
    inputs.forEach(in -> byName.put(in.name(), in));
    for (Value v : graph.outputs()) {
      // A graph output that is an input stays that input, even when its values are known.
      out.output(byName.containsKey(v.name()) ? byName.get(v.name()) : values.get(v.name()));
    }
    return out.build();
  }

  /**
   * One constant per given input value, by input name; the constant of {@code %x} is
   * {@code %x.value} (or {@code %x.value2}, ..., whichever is fresh in the graph).
   */
  private Map<String, Constant> valueConstants(List<Value> inputs, Map<String, Tensor> inputValues) {
    List<String> problems = new ArrayList<>();
    Map<String, Value> byName = new LinkedHashMap<>();
    inputs.forEach(in -> byName.put(in.name(), in));
    for (String name : new TreeSet<>(inputValues.keySet())) {
      if (!byName.containsKey(name)) {
        problems.add("a value is given for %" + name + ", which is not an input; the inputs are "
            + String.join(", ", graph.inputs().stream().map(v -> "%" + v.name()).toList()));
      }
    }
    Set<String> taken = new HashSet<>();
    graph.inputs().forEach(v -> taken.add(v.name()));
    graph.constants().forEach(c -> taken.add(c.value().name()));
    graph.nodes().forEach(n -> n.outputs().forEach(v -> taken.add(v.name())));
    Map<String, Constant> out = new LinkedHashMap<>();
    for (Value in : byName.values()) {
      Tensor value = inputValues.get(in.name());
      if (value == null) {
        continue;
      }
      if (!value.type().equals(in.type())) {
        problems.add("the value given for input %" + in.name() + " is " + value.type()
            + ", but the input is bound to " + in.type());
        continue;
      }
      String name = in.name() + ".value";
      for (int k = 2; taken.contains(name); k++) {
        name = in.name() + ".value" + k;
      }
      taken.add(name);
      out.put(in.name(), Constant.inline(new Value(name, in.type()), value));
    }
    if (!problems.isEmpty()) {
      throw new ShapeBindingException(problems);
    }
    return out;
  }

  private List<Value> bindInputs(Map<String, long[]> inputShapes) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>(inputShapes.keySet());
    graph.inputs().forEach(v -> unknown.remove(v.name()));
    for (String name : unknown) {
      problems.add("a shape is given for %" + name + ", which is not an input; the inputs are "
          + String.join(", ", graph.inputs().stream().map(v -> "%" + v.name()).toList()));
    }
    List<Value> inputs = new ArrayList<>();
    for (Value v : graph.inputs()) {
      long[] given = inputShapes.get(v.name());
      if (given == null) {
        problems.add("no shape is given for input %" + v.name() + " (" + v.type() + ")");
        continue;
      }
      Optional<String> misfit = bindInput(v, given);
      if (misfit.isPresent()) {
        problems.add("input %" + v.name() + " " + misfit.get());
      } else {
        inputs.add(new Value(v.name(), TensorType.of(v.type().dtype(), given)));
      }
    }
    if (!problems.isEmpty()) {
      throw new ShapeBindingException(problems);
    }
    return inputs;
  }

  /** Checks one input's given shape and binds the names it shows; what does not fit, or empty. */
  private Optional<String> bindInput(Value v, long[] given) {
    Shape declared = v.type().shape();
    if (given.length != declared.rank()) {
      return Optional.of("is declared " + v.type() + " (rank " + declared.rank()
          + ") but is given shape " + Arrays.toString(given) + " (rank " + given.length + ")");
    }
    Map<String, Long> fresh = new LinkedHashMap<>();
    for (int i = 0; i < given.length; i++) {
      long size = given[i];
      if (size < 0) {
        return Optional.of("dim " + i + " is given " + size + "; sizes must be >= 0");
      }
      switch (declared.dim(i)) {
        case Dim.Known known -> {
          if (known.size() != size) {
            return Optional.of("dim " + i + " is declared " + known.size() + " (" + v.type()
                + ") but is given " + size);
          }
        }
        case Dim.Named named -> {
          Long before = bound.containsKey(named.name())
              ? bound.get(named.name()) : fresh.get(named.name());
          if (before == null) {
            fresh.put(named.name(), size);
          } else if (before != size) {
            String where = fresh.containsKey(named.name())
                ? "dim " + declared.dims().indexOf(named) + " of the same input"
                : boundBy.get(named.name());
            return Optional.of("dim " + i + " binds " + named.name() + " = " + size + ", but "
                + where + " bound " + named.name() + " = " + before);
          }
        }
        case Dim.Unknown unknown -> {
          // Any size fits a dim the declaration leaves open.
        }
      }
    }
    for (Map.Entry<String, Long> e : fresh.entrySet()) {
      bound.put(e.getKey(), e.getValue());
      boundBy.put(e.getKey(), "dim " + declared.dims().indexOf(Dim.named(e.getKey()))
          + " of input %" + v.name());
    }
    return Optional.empty();
  }

  private void bindNode(
      Node node, Map<String, Value> values, Map<String, Tensor> constants, GraphBuilder out) {
    OpSchema schema = registry.lookup(node.op()).orElseThrow(
        () -> new IllegalStateException(
            node.describe() + ": unknown operator (verify the graph first)"));
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> constantInputs = new ArrayList<>();
    List<Optional<Value>> inputs = new ArrayList<>();
    for (Optional<Value> in : node.inputs()) {
      Optional<Value> bound = in.map(v -> values.get(v.name()));
      inputs.add(bound);
      types.add(bound.map(Value::type));
      constantInputs.add(in.flatMap(v -> Optional.ofNullable(constants.get(v.name()))));
    }
    NodeInference.Result result;
    try {
      result = NodeInference.infer(
          schema, node.attributes(), types, constantInputs, node.outputs().size());
    } catch (OpException e) {
      throw new ShapeBindingException(List.of(node.describe() + ": " + e.getMessage()));
    }
    Optional<? extends List<Tensor>> folded = result.values();
    if (folded.isEmpty() && node.inputs().isEmpty()) {
      // A node without inputs (Constant) holds its value in its attributes: fold it at any
      // size, since the value is in the model either way.
      folded = Optional.of(schema.evaluate(new EvalContext(node.op(), node.attributes(),
          ImmutableList.of(), node.outputs().size())));
    }
    if (folded.isPresent()) {
      // Known at compile time: the node becomes constants, and its consumers see them.
      for (int o = 0; o < node.outputs().size(); o++) {
        Tensor data = folded.get().get(o);
        Value v = new Value(node.output(o).name(), data.type());
        checkDeclared(node, node.output(o), v.type());
        out.addConstant(Constant.inline(v, data));
        values.put(v.name(), v);
        constants.put(v.name(), data);
      }
      return;
    }
    List<Value> outputs = new ArrayList<>();
    for (int o = 0; o < node.outputs().size(); o++) {
      TensorType t = result.types().get(o);
      if (!t.shape().isStatic()) {
        throw new ShapeBindingException(List.of(node.describe() + ": the shape of output %"
            + node.output(o).name() + " is " + t + ", which depends on the data of its inputs;"
            + " compiled code needs static shapes, so the inputs that decide it must be constants"));
      }
      checkDeclared(node, node.output(o), t);
      Value v = new Value(node.output(o).name(), t);
      outputs.add(v);
      values.put(v.name(), v);
    }
    for (int slot = 0; slot < node.inputs().size(); slot++) {
      // Inference may accept an unknown value here (Dropout's training_mode is checked once
      // known), but compiled code must know it.
      if (node.inputs().get(slot).isPresent() && schema.readsAtCompileTime(slot)
          && constantInputs.get(slot).isEmpty()) {
        throw new ShapeBindingException(List.of(node.describe() + ": input " + slot + " (%"
            + node.inputs().get(slot).get().name() + ") is read at compile time, but its value "
            + "depends on data that compiled code is not specialized to; make it a constant"));
      }
    }
    out.addNode(new Node(node.name(), node.op(), ImmutableList.copyOf(inputs),
        ImmutableList.copyOf(outputs), node.attributes()));
  }

  /** A declared output type must agree with the bound inference (a refinement may be wrong). */
  private void checkDeclared(Node node, Value declared, TensorType inferred) {
    Shape d = declared.type().shape();
    boolean fits = declared.type().dtype() == inferred.dtype() && d.rank() == inferred.rank();
    for (int i = 0; fits && i < d.rank(); i++) {
      long size = inferred.shape().dim(i).size();
      fits = switch (d.dim(i)) {
        case Dim.Known k -> k.size() == size;
        case Dim.Named n -> !bound.containsKey(n.name()) || bound.get(n.name()) == size;
        case Dim.Unknown u -> true;
      };
    }
    if (!fits) {
      throw new ShapeBindingException(List.of(node.describe() + ": output %" + declared.name()
          + " is declared " + declared.type() + " but is " + inferred + " for the given input shapes"
          + describeBindings(declared.type().shape())));
    }
  }

  private String describeBindings(Shape shape) {
    List<String> parts = new ArrayList<>();
    for (Dim d : shape.dims()) {
      if (d instanceof Dim.Named n && bound.containsKey(n.name())) {
        String text = n.name() + " = " + bound.get(n.name());
        if (!parts.contains(text)) {
          parts.add(text);
        }
      }
    }
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }
}
