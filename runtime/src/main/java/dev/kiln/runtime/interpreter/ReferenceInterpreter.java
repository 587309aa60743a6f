package dev.kiln.runtime.interpreter;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.verify.Verifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Runs a graph node by node with each operator's reference semantics ({@link OpSchema#evaluate}).
 * It is the oracle compiled code is tested against, so it favours checks over speed: inputs are
 * checked against the graph's declared types (symbolic dims bound consistently), and every node's
 * outputs against their declared types.
 *
 * <p>Intermediate values are released after their last use, so a long graph does not hold every
 * activation at once.
 *
 * <p>Immutable and thread-safe: each {@link #run} keeps its state on its own stack, and many
 * threads may run one interpreter at once.
 */
public final class ReferenceInterpreter {
  private final Graph graph;
  private final ImmutableList<OpSchema> schemas;
  private final ImmutableMap<String, Tensor> constants;
  /** Entry {@code k}: values no longer needed once {@code k} nodes have run. */
  private final ImmutableList<ImmutableList<String>> releasePlan;

  /**
   * @throws dev.kiln.ir.verify.VerificationException if the graph is not valid for
   *     {@code registry}; the interpreter relies on SSA order, known operators and declared types
   */
  public ReferenceInterpreter(Graph graph, OpRegistry registry) {
    new Verifier(registry).verifyOrThrow(graph);
    this.graph = graph;
    this.schemas = graph.nodes().stream()
        .map(n -> registry.lookup(n.op()).orElseThrow())
        .collect(ImmutableList.toImmutableList());
    Map<String, Tensor> consts = new LinkedHashMap<>();
    for (Constant c : graph.constants()) {
      consts.put(c.value().name(), c.data());
    }
    this.constants = ImmutableMap.copyOf(consts);
    this.releasePlan = planReleases(graph);
  }

  public Graph graph() {
    return graph;
  }

  /**
   * Runs the graph.
   *
   * @param inputs a tensor for every graph input, by value name (without {@code %})
   * @return the graph outputs by name, in the graph's output order
   * @throws RunException when the inputs are missing, unknown or do not fit the declared types
   *     (all such problems at once), or a node rejects its inputs
   * @throws IllegalStateException when an operator misbehaves (an internal error naming the node)
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    DimBindings bindings = new DimBindings();
    Map<String, Tensor> live = new HashMap<>(checkInputs(inputs, bindings));
    release(live, 0);
    ImmutableList<Node> nodes = graph.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      List<Tensor> outputs = evaluate(node, schemas.get(i), live);
      for (int o = 0; o < outputs.size(); o++) {
        Value declared = node.output(o);
        Tensor actual = outputs.get(o);
        Optional<String> misfit = bindings.match("%" + declared.name(), declared.type(), actual);
        if (misfit.isPresent()) {
          throw new IllegalStateException("internal error: " + node.describe() + ": output %"
              + declared.name() + " " + misfit.get());
        }
        live.put(declared.name(), actual);
      }
      release(live, i + 1);
    }
    Map<String, Tensor> results = new LinkedHashMap<>();
    for (Value out : graph.outputs()) {
      results.put(out.name(), lookup(live, out.name()));
    }
    return results;
  }

  /** Checks every input, reporting all problems at once; returns the inputs by name. */
  private Map<String, Tensor> checkInputs(Map<String, Tensor> given, DimBindings bindings) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>(given.keySet());
    graph.inputs().forEach(v -> unknown.remove(v.name()));
    for (String name : unknown) {
      problems.add("unknown input %" + name + "; the graph's inputs are "
          + String.join(", ", graph.inputs().stream().map(v -> "%" + v.name()).toList()));
    }
    Map<String, Tensor> accepted = new HashMap<>();
    for (Value v : graph.inputs()) {
      Tensor t = given.get(v.name());
      if (t == null) {
        problems.add("missing input %" + v.name() + " (" + v.type() + ")");
        continue;
      }
      Optional<String> misfit = bindings.match("%" + v.name(), v.type(), t);
      if (misfit.isPresent()) {
        problems.add("input %" + v.name() + " " + misfit.get());
      } else {
        accepted.put(v.name(), t);
      }
    }
    if (!problems.isEmpty()) {
      throw new RunException(problems);
    }
    return accepted;
  }

  private List<Tensor> evaluate(Node node, OpSchema schema, Map<String, Tensor> live) {
    List<Optional<Tensor>> args = new ArrayList<>(node.inputCount());
    for (Optional<Value> in : node.inputs()) {
      args.add(in.map(v -> lookup(live, v.name())));
    }
    EvalContext ctx = new EvalContext(
        node.op(), node.attributes(), ImmutableList.copyOf(args), node.outputs().size());
    List<Tensor> outputs;
    try {
      outputs = schema.evaluate(ctx);
    } catch (OpException e) {
      throw new RunException(node.describe() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      // Any other exception is a bug in the operator; name the node so it can be found.
      throw new IllegalStateException(
          "internal error: " + node.describe() + " failed: " + e, e);
    }
    if (outputs == null || outputs.size() != node.outputs().size()) {
      throw new IllegalStateException("internal error: " + node.describe() + " returned "
          + (outputs == null ? "null" : outputs.size() + " outputs") + " for "
          + node.outputs().size() + " declared");
    }
    return outputs;
  }

  private Tensor lookup(Map<String, Tensor> live, String name) {
    Tensor t = live.get(name);
    if (t == null) {
      t = constants.get(name);
    }
    if (t == null) {
      // The verifier guarantees definition before use, so this is a release-plan bug.
      throw new IllegalStateException("internal error: %" + name + " is not available");
    }
    return t;
  }

  private void release(Map<String, Tensor> live, int nodesRun) {
    for (String name : releasePlan.get(nodesRun)) {
      live.remove(name);
    }
  }

  /** Values no longer needed after each prefix of nodes (inputs and node outputs; never graph outputs). */
  ImmutableList<ImmutableList<String>> releasePlan() {
    return releasePlan;
  }

  private static ImmutableList<ImmutableList<String>> planReleases(Graph graph) {
    ImmutableList<Node> nodes = graph.nodes();
    // When each value can go: after its last reader, or right after its definition if unread.
    Map<String, Integer> releaseAt = new LinkedHashMap<>();
    for (Value v : graph.inputs()) {
      releaseAt.put(v.name(), 0);
    }
    for (int i = 0; i < nodes.size(); i++) {
      for (Optional<Value> in : nodes.get(i).inputs()) {
        if (in.isPresent() && releaseAt.containsKey(in.get().name())) {
          releaseAt.put(in.get().name(), i + 1);
        }
      }
      for (Value out : nodes.get(i).outputs()) {
        releaseAt.put(out.name(), i + 1);
      }
    }
    graph.outputs().forEach(v -> releaseAt.remove(v.name()));
    List<List<String>> plan = new ArrayList<>();
    for (int k = 0; k <= nodes.size(); k++) {
      plan.add(new ArrayList<>());
    }
    releaseAt.forEach((name, k) -> plan.get(k).add(name));
    return plan.stream().map(ImmutableList::copyOf).collect(ImmutableList.toImmutableList());
  }
}
