package dev.kiln.passes.pipeline;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopPrinter;

/**
 * Prints IR for the instruments and crash reproducers. Graph IR's text (Kiln text) lives in the
 * {@code frontend} module, which {@code passes} does not depend on: the caller hands a printer
 * in (the API and the CLI use {@code KilnText}); loop IR prints with {@link LoopPrinter}.
 */
public interface IrPrinter {
  /** The graph for a dump (may abbreviate large constants). */
  String graph(Graph graph);

  /** The graph in full, as text that parses back (for reproducers); by default {@link #graph}. */
  default String reproducer(Graph graph) {
    return graph(graph);
  }

  /** Any level: graphs with {@link #graph}, loop programs with {@link LoopPrinter}. */
  default String print(Ir ir) {
    return switch (ir) {
      case Ir.OfGraph g -> graph(g.graph());
      case Ir.OfLoops l -> LoopPrinter.print(l.program())
          + l.memory().map(m -> "// memory plan\n" + m.toString().indent(0).lines()
              .map(line -> "// " + line).collect(java.util.stream.Collectors.joining("\n", "", "\n")))
              .orElse("");
    };
  }

  /** Prints graphs with their record {@code toString} (when no Kiln printer is at hand). */
  static IrPrinter plain() {
    return Graph::toString;
  }
}
