package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code dce}: removes the nodes none of whose outputs is used (by a live node or as a graph
 * output) and the constants nothing reads. One backward walk finds them all, chains included.
 * Graph inputs stay: they are the model's signature.
 */
public final class DeadCodeElimination implements GraphPass {
  public static final String NAME = "dce";

  @Override
  public Graph run(Graph graph, PassContext context) {
    Set<String> live = new HashSet<>();
    graph.outputs().forEach(v -> live.add(v.name()));
    List<Node> kept = new ArrayList<>();
    boolean removed = false;
    for (Node n : graph.nodes().reverse()) {
      if (n.outputs().stream().anyMatch(v -> live.contains(v.name()))) {
        kept.add(n);
        n.presentInputs().forEach(v -> live.add(v.name()));
      } else {
        removed = true;
      }
    }
    List<Constant> constants = graph.constants().stream()
        .filter(c -> live.contains(c.value().name())).toList();
    if (!removed && constants.size() == graph.constants().size()) {
      return graph;
    }
    if (context.explain()) {
      context.remark(NAME, "graph '" + graph.name() + "'", "removed "
          + (graph.nodes().size() - kept.size()) + " nodes and "
          + (graph.constants().size() - constants.size()) + " constants");
    }
    return new Graph(graph.name(), graph.inputs(), graph.outputs(),
        ImmutableList.copyOf(constants), ImmutableList.copyOf(kept.reversed()));
  }
}
