package dev.kiln.passes.pipeline.stages;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Node;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.lower.LoweringRegistry;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.Pass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassException;
import dev.kiln.passes.pipeline.PassInfo;
import java.util.List;

/** {@code lower-graph-to-loops}: {@link GraphToLoops}, one kernel per node. */
public final class LowerGraphToLoopsPass implements Pass {
  public static final PassInfo INFO = new PassInfo("lower-graph-to-loops",
      "lower every operator to loop nests over buffers (needs static shapes: run bind-shapes first)",
      IrLevel.GRAPH, IrLevel.LOOPS, ImmutableList.of(), options -> new LowerGraphToLoopsPass());

  @Override
  public Ir run(Ir input, PassContext context) {
    var graph = input.graph();
    LoweringRegistry lowerings = LoweringRegistry.standard();
    List<String> missing = graph.nodes().stream().map(Node::op)
        .filter(op -> lowerings.lookup(op).isEmpty()).distinct().sorted().toList();
    if (!missing.isEmpty()) {
      throw new PassException("lower-graph-to-loops: no lowering to loop IR for " + String.join(", ", missing));
    }
    try {
      return Ir.of(GraphToLoops.lower(graph, lowerings));
    } catch (IllegalArgumentException e) {
      throw new PassException("lower-graph-to-loops: " + e.getMessage()
          + " (shapes must be static: run bind-shapes first)", e);
    }
  }
}
