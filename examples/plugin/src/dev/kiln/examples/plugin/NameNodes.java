package dev.kiln.examples.plugin;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;

/** A whole-graph pass: names every unnamed node {@code prefix + index}; names show in messages and dumps. */
final class NameNodes implements GraphPass {
  private final String prefix;

  NameNodes(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    if (graph.nodes().stream().allMatch(n -> !n.name().isEmpty())) {
      return graph;  // unchanged: the same instance, so --print-ir-after-change can tell
    }
    ImmutableList.Builder<Node> nodes = ImmutableList.builder();
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node n = graph.nodes().get(i);
      nodes.add(n.name().isEmpty() ? new Node(prefix + i, n.op(), n.inputs(), n.outputs(), n.attributes()) : n);
    }
    return new Graph(graph.name(), graph.inputs(), graph.outputs(), graph.constants(), nodes.build());
  }
}
