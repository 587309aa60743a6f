package dev.kiln.passes.pipeline;

import dev.kiln.ir.op.OpRegistry;
import dev.kiln.passes.graph.FoldConstants;
import dev.kiln.passes.graph.GraphPasses;
import dev.kiln.passes.pipeline.stages.BindShapesPass;
import dev.kiln.passes.pipeline.stages.LowerGraphToLoopsPass;
import dev.kiln.passes.pipeline.stages.PlanMemoryPass;
import dev.kiln.passes.pipeline.stages.SchedulePass;
import java.util.ArrayList;
import java.util.List;

/**
 * Kiln's own passes and presets: the one table to edit when adding a standard pass. The presets
 * {@code O0}..{@code O3} ({@code -O0}..{@code -O3}) are built from the named sub-pipelines above
 * them.
 */
public final class StandardPasses {
  private StandardPasses() {}

  /** Every standard pass, in the order {@code kiln passes} lists them. */
  public static final List<PassInfo> PASSES = passes();

  private static List<PassInfo> passes() {
    List<PassInfo> all = new ArrayList<>();
    // graph IR: the passes of dev.kiln.passes.graph, in their table's order
    for (GraphPasses.Entry e : GraphPasses.all()) {
      if (e.name().equals(FoldConstants.NAME)) {
        all.add(PassInfo.graph(e.name(), e.summary(),
            List.of(PassOption.ofInt("max-elements", FoldConstants.DEFAULT_MAX_ELEMENTS,
                "the largest output (in elements) folded into a constant")),
            values -> new FoldConstants(OpRegistry.standard(), values.integer("max-elements"))));
      } else {
        all.add(PassInfo.graph(e.name(), e.summary(), e.create().get()));
      }
    }
    // stages
    all.add(BindShapesPass.INFO);
    all.add(LowerGraphToLoopsPass.INFO);
    // loop IR
    all.add(SchedulePass.INFO);
    all.add(PlanMemoryPass.INFO);
    return List.copyOf(all);
  }

  /** The named pipelines; later ones may name earlier ones. */
  public static final List<NamedPipeline> PIPELINES = List.of(
      new NamedPipeline("graph-cleanup", "fold constants, simplify, merge duplicates, remove what is unused",
          "fold-constants,simplify,cse,dce"),
      new NamedPipeline("graph-fusion", "fold and recognize operator patterns into fewer, larger operators",
          "fold-batchnorm,recognize-gelu,recognize-layernorm"),
      new NamedPipeline("O0", "no optimization: bind shapes, lower, plan memory",
          "bind-shapes,lower-graph-to-loops,plan-memory"),
      new NamedPipeline("O1", "the default schedules on the loops as lowered",
          "bind-shapes,lower-graph-to-loops,schedule,plan-memory"),
      new NamedPipeline("O2", "graph clean-up, then O1",
          "bind-shapes,graph-cleanup,lower-graph-to-loops,schedule,plan-memory"),
      new NamedPipeline("O3", "graph clean-up and fusion, then O1",
          "bind-shapes,graph-cleanup,graph-fusion,graph-cleanup,lower-graph-to-loops,schedule,plan-memory"));

  private static final PassRegistry REGISTRY = build();

  static PassRegistry registry() {
    return REGISTRY;
  }

  /** The preset of optimization level {@code level} (0 to 3), e.g. {@code -O2}. */
  public static String preset(int level) {
    if (level < 0 || level > 3) {
      throw new IllegalArgumentException("optimization level must be 0 to 3, got " + level);
    }
    return "O" + level;
  }

  private static PassRegistry build() {
    PassRegistry.Builder b = PassRegistry.builder();
    PASSES.forEach(b::register);
    PIPELINES.forEach(b::pipeline);
    return b.build();
  }
}
