package dev.kiln.passes.rewrite;

import dev.kiln.ir.graph.Graph;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.List;

/** A set of patterns as a graph pass: {@link GreedyRewriteDriver} to a fixed point. */
public final class PatternPass implements GraphPass {
  private final GreedyRewriteDriver driver;

  private PatternPass(List<RewritePattern> patterns) {
    this.driver = new GreedyRewriteDriver(patterns);
  }

  public static PatternPass of(RewritePattern... patterns) {
    return new PatternPass(List.of(patterns));
  }

  public static PatternPass of(List<RewritePattern> patterns) {
    return new PatternPass(patterns);
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    return driver.apply(graph, context);
  }
}
