package dev.kiln.runtime.interpreter;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.verify.Verifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the interpreter works out once per graph: each node's schema, the output types shape
 * inference gives (which may be less specific than the declared ones: a declaration may refine
 * an unknown dim), the constants, and when each value can be released.
 */
record ExecutionPlan(
    Graph graph,
    ImmutableList<OpSchema> schemas,
    ImmutableList<ImmutableList<TensorType>> inferredOutputs,
    ImmutableMap<String, Tensor> constants,
    ImmutableList<ImmutableList<String>> releasePlan) {

  /** Verifies the graph (throwing {@code VerificationException}) and plans its execution. */
  static ExecutionPlan of(Graph graph, OpRegistry registry) {
    new Verifier(registry).verifyOrThrow(graph);
    ImmutableList<OpSchema> schemas = graph.nodes().stream()
        .map(n -> registry.lookup(n.op()).orElseThrow())
        .collect(ImmutableList.toImmutableList());
    Map<String, Tensor> constants = new LinkedHashMap<>();
    for (Constant c : graph.constants()) {
      constants.put(c.value().name(), c.data());
    }
    return new ExecutionPlan(graph, schemas, infer(graph, schemas, constants),
        ImmutableMap.copyOf(constants), planReleases(graph));
  }

  /**
   * Re-runs the inference the verifier ran, keeping its results: the interpreter checks run-time
   * shapes against them to tell an operator whose evaluation disagrees with its own inference
   * (an internal error) from a declaration that promised more than inference could check.
   */
  private static ImmutableList<ImmutableList<TensorType>> infer(
      Graph graph, List<OpSchema> schemas, Map<String, Tensor> constants) {
    Map<String, Tensor> known = new HashMap<>(constants);
    List<ImmutableList<TensorType>> out = new ArrayList<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node node = graph.nodes().get(i);
      List<Optional<TensorType>> types = new ArrayList<>();
      List<Optional<Tensor>> values = new ArrayList<>();
      for (Optional<Value> in : node.inputs()) {
        types.add(in.map(Value::type));
        values.add(in.flatMap(v -> Optional.ofNullable(known.get(v.name()))));
      }
      NodeInference.Result r = NodeInference.infer(
          schemas.get(i), node.attributes(), types, values, node.outputs().size());
      if (r.values().isPresent()) {
        for (int o = 0; o < node.outputs().size(); o++) {
          known.put(node.output(o).name(), r.values().get().get(o));
        }
      }
      out.add(r.types());
    }
    return ImmutableList.copyOf(out);
  }

  /**
   * Entry {@code k}: the inputs and node outputs no longer needed once {@code k} nodes have run
   * (after their last reader, or right after their definition if nothing reads them). Graph
   * outputs are never released; constants belong to the graph and are not in the plan.
   */
  private static ImmutableList<ImmutableList<String>> planReleases(Graph graph) {
    ImmutableList<Node> nodes = graph.nodes();
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
