package dev.kiln.passes.pipeline;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.passes.memory.MemoryPlan;
import java.util.Objects;
import java.util.Optional;

/** What flows through a pipeline: a graph, or (after lowering) a loop program. */
public sealed interface Ir {
  IrLevel level();

  static Ir of(Graph graph) {
    return new OfGraph(graph);
  }

  static Ir of(LoopProgram program) {
    return new OfLoops(program, Optional.empty());
  }

  /** The graph; only at {@link IrLevel#GRAPH}. */
  default Graph graph() {
    throw new IllegalStateException("expected graph IR, got " + level().description());
  }

  /** The loop program; only at {@link IrLevel#LOOPS}. */
  default LoopProgram program() {
    throw new IllegalStateException("expected loop IR, got " + level().description());
  }

  /** Graph IR. */
  record OfGraph(Graph graph) implements Ir {
    public OfGraph {
      Objects.requireNonNull(graph, "graph");
    }

    @Override
    public IrLevel level() {
      return IrLevel.GRAPH;
    }
  }

  /**
   * Loop IR, with the scratch memory plan once {@code plan-memory} has run.
   *
   * @param memory where each scratch buffer lives; empty until memory is planned
   */
  record OfLoops(LoopProgram program, Optional<MemoryPlan> memory) implements Ir {
    public OfLoops {
      Objects.requireNonNull(program, "program");
      Objects.requireNonNull(memory, "memory");
    }

    @Override
    public IrLevel level() {
      return IrLevel.LOOPS;
    }
  }
}
