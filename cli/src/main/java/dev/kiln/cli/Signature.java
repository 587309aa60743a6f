package dev.kiln.cli;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import java.util.stream.Collectors;

/** One-line descriptions of a graph for the CLI. */
final class Signature {
  private Signature() {}

  static String describe(Graph g) {
    return "model '" + g.name() + "' ("
        + g.inputs().stream().map(Value::toString).collect(Collectors.joining(", "))
        + ") -> ("
        + g.outputs().stream().map(Value::toString).collect(Collectors.joining(", "))
        + "), " + g.nodes().size() + (g.nodes().size() == 1 ? " node, " : " nodes, ")
        + g.constants().size() + (g.constants().size() == 1 ? " constant" : " constants");
  }
}
