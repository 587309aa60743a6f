package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code dce}: removes the nodes none of whose outputs is used (by a later node or as a graph
 * output), then the constants nothing reads. Operators have no side effects, so an unused node
 * is dead. One backward walk: a node's uses are all after it.
 */
public final class DeadCodeElimination implements GraphPass {
  public static final PassInfo INFO = PassInfo.graph("dce",
      "remove nodes whose outputs are never used, and unused constants", new DeadCodeElimination());

  @Override
  public Graph run(Graph graph, PassContext context) {
    Set<String> live = new HashSet<>();
    graph.outputs().forEach(v -> live.add(v.name()));
    List<Node> kept = new ArrayList<>();
    for (Node n : graph.nodes().reverse()) {
      if (n.outputs().stream().anyMatch(v -> live.contains(v.name()))) {
        kept.add(n);
        n.inputs().forEach(in -> in.map(Value::name).ifPresent(live::add));
      } else if (context.explain()) {
        context.remark("dce", n.describe(), "removed: no output is used");
      }
    }
    List<Constant> constants = graph.constants().stream().filter(c -> live.contains(c.value().name())).toList();
    if (kept.size() == graph.nodes().size() && constants.size() == graph.constants().size()) {
      return graph;
    }
    Collections.reverse(kept);
    return new Graph(graph.name(), graph.inputs(), graph.outputs(), ImmutableList.copyOf(constants),
        ImmutableList.copyOf(kept));
  }
}
