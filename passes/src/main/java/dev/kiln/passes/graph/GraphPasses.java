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
          Simplify::new),
      new Entry(FoldBatchNorm.NAME,
          "fold inference BatchNormalization into the constant weights of a Conv, Gemm or MatMul",
          FoldBatchNorm::new),
      new Entry(RecognizeGelu.NAME,
          "replace the exported erf and tanh GELU subgraphs with one Gelu node",
          RecognizeGelu::new),
      new Entry(RecognizeLayerNorm.NAME,
          "replace the exported mean/variance arithmetic of layer norm with LayerNormalization",
          RecognizeLayerNorm::new));

  /** Every pass of this package, in a sensible pipeline order. */
  public static List<Entry> all() {
    return ALL;
  }

  public static Optional<Entry> lookup(String name) {
    return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
  }
}
