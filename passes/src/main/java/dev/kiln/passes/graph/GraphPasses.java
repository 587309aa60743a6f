package dev.kiln.passes.graph;

import dev.kiln.passes.pipeline.GraphPass;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The graph optimization passes of this package, for the pass manager to register: one entry per
 * pass with its pipeline name, a one-line summary and how to make it with default options.
 * Passes with options also have constructors that take them ({@link FoldConstants}).
 */
public final class GraphPasses {
  private GraphPasses() {}

  /** One pass: its kebab-case pipeline name, what it does in a line, and a factory. */
  public record Entry(String name, String summary, Supplier<GraphPass> create) {}

  private static final List<Entry> ALL = List.of(
      new Entry(FoldConstants.NAME,
          "evaluate nodes whose inputs are all constants (outputs up to max-elements, default 65536)",
          FoldConstants::new),
      new Entry(DeadCodeElimination.NAME,
          "remove nodes whose outputs are unused and constants nothing reads",
          DeadCodeElimination::new),
      new Entry(CommonSubexpressionElimination.NAME,
          "merge nodes with the same operator, inputs and attributes, and equal inline constants",
          CommonSubexpressionElimination::new),
      new Entry(Simplify.NAME,
          "remove identities and no-ops, collapse transpose and reshape chains, fold static shapes",
          Simplify::new));

  /** Every pass of this package, in a sensible pipeline order. */
  public static List<Entry> all() {
    return ALL;
  }

  public static Optional<Entry> lookup(String name) {
    return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
  }
}
