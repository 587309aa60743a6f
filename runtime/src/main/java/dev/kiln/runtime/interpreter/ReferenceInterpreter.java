package dev.kiln.runtime.interpreter;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
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
 * outputs against their types.
 *
 * <p>An output that does not match what shape inference says is an internal error (the operator's
 * evaluation and inference disagree). An output that matches inference but not a more specific
 * declaration (a symbolic dim where inference had to say {@code ?}) is the graph's promise failing
 * for these inputs, reported as a {@link RunException}.
 *
 * <p>Intermediate values are released after their last use, so a long graph does not hold every
 * activation at once.
 *
 * <p>Immutable and thread-safe: each {@link #run} keeps its state on its own stack, and many
 * threads may run one interpreter at once.
 */
public final class ReferenceInterpreter {
  private final ExecutionPlan plan;

  /**
   * @throws dev.kiln.ir.verify.VerificationException if the graph is not valid for
   *     {@code registry}; the interpreter relies on SSA order, known operators and checked types
   */
  public ReferenceInterpreter(Graph graph, OpRegistry registry) {
    this.plan = ExecutionPlan.of(graph, registry);
  }

  public Graph graph() {
    return plan.graph();
  }

  /**
   * Runs the graph.
   *
   * @param inputs a tensor for every graph input, by value name (without {@code %})
   * @return the graph outputs by name, in the graph's output order
   * @throws RunException when the inputs are missing, unknown or do not fit the declared types
   *     (all such problems at once), when a node rejects its inputs, or when a declared type
   *     more specific than inference turns out wrong for these inputs
   * @throws IllegalStateException when an operator misbehaves (an internal error naming the node)
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    DimBindings bindings = new DimBindings();
    Map<String, Tensor> live = new HashMap<>(checkInputs(inputs, bindings));
    release(live, 0);
    ImmutableList<Node> nodes = plan.graph().nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      List<Tensor> outputs = evaluate(node, plan.schemas().get(i), live);
      for (int o = 0; o < outputs.size(); o++) {
        checkOutput(node, node.output(o), plan.inferredOutputs().get(i).get(o), outputs.get(o),
            bindings);
        live.put(node.output(o).name(), outputs.get(o));
      }
      release(live, i + 1);
    }
    Map<String, Tensor> results = new LinkedHashMap<>();
    for (Value out : plan.graph().outputs()) {
      Tensor t = lookup(live, out.name());
      // A graph output may declare more than its definition (a refined unknown dim).
      Optional<String> misfit = bindings.match("%" + out.name(), out.type(), t);
      if (misfit.isPresent()) {
        throw new RunException("graph output %" + out.name() + " " + misfit.get());
      }
      results.put(out.name(), t);
    }
    return results;
  }

  /** Checks every input, reporting all problems at once; returns the inputs by name. */
  private Map<String, Tensor> checkInputs(Map<String, Tensor> given, DimBindings bindings) {
    Graph graph = plan.graph();
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
      throw new IllegalStateException("internal error: " + node.describe() + " failed: " + e, e);
    }
    if (outputs == null || outputs.size() != node.outputs().size()) {
      throw new IllegalStateException("internal error: " + node.describe() + " returned "
          + (outputs == null ? "null" : outputs.size() + " outputs") + " for "
          + node.outputs().size() + " declared");
    }
    return outputs;
  }

  private static void checkOutput(
      Node node, Value declared, TensorType inferred, Tensor actual, DimBindings bindings) {
    String source = "%" + declared.name();
    Optional<String> misfit = bindings.match(source, inferred, actual);
    if (misfit.isPresent()) {
      throw new IllegalStateException("internal error: " + node.describe() + ": output %"
          + declared.name() + " " + misfit.get());
    }
    if (!declared.type().equals(inferred)) {
      misfit = bindings.match(source, declared.type(), actual);
      if (misfit.isPresent()) {
        throw new RunException(node.describe() + ": output %" + declared.name() + " "
            + misfit.get() + "; the graph declares more than shape inference could check ("
            + inferred + ")");
      }
    }
  }

  private Tensor lookup(Map<String, Tensor> live, String name) {
    Tensor t = live.get(name);
    if (t == null) {
      t = plan.constants().get(name);
    }
    if (t == null) {
      // The verifier guarantees definition before use, so this is a release-plan bug.
      throw new IllegalStateException("internal error: %" + name + " is not available");
    }
    return t;
  }

  private void release(Map<String, Tensor> live, int nodesRun) {
    for (String name : plan.releasePlan().get(nodesRun)) {
      live.remove(name);
    }
  }

  /** Values released after each prefix of nodes; see {@link ExecutionPlan#releasePlan}. */
  ImmutableList<ImmutableList<String>> releasePlan() {
    return plan.releasePlan();
  }
}
