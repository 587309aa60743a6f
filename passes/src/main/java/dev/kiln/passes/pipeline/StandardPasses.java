package dev.kiln.passes.pipeline;

import dev.kiln.passes.fusion.FoldCopiesIntoMatmul;
import dev.kiln.passes.fusion.FuseAttention;
import dev.kiln.passes.fusion.FuseElementwise;
import dev.kiln.passes.graph.GraphPasses;
import dev.kiln.passes.pipeline.stages.BindShapesPass;
import dev.kiln.passes.pipeline.stages.LowerGraphToLoopsPass;
import dev.kiln.passes.pipeline.stages.PlanMemoryPass;
import dev.kiln.passes.pipeline.stages.SchedulePass;
import java.util.List;

/**
 * Kiln's own passes and presets: the one table to edit when adding a standard pass. The presets
 * {@code O0}..{@code O3} ({@code -O0}..{@code -O3}) are built from the named sub-pipelines above
 * them.
 */
public final class StandardPasses {
  private StandardPasses() {}

  /** Every standard pass, in the order {@code kiln passes} lists them. */
  public static final List<PassInfo> PASSES = com.google.common.collect.ImmutableList.<PassInfo>builder()
      // graph IR
      .addAll(GraphPasses.PASSES)
      // stages
      .add(BindShapesPass.INFO, LowerGraphToLoopsPass.INFO)
      // loop IR
      .add(FuseElementwise.INFO, FoldCopiesIntoMatmul.INFO, FuseAttention.INFO, SchedulePass.INFO, PlanMemoryPass.INFO)
      .build();

  /** The named pipelines; later ones may name earlier ones. */
  public static final List<NamedPipeline> PIPELINES = List.of(
      new NamedPipeline("graph-cleanup", "remove what the model does not need", GraphPasses.CLEANUP),
      new NamedPipeline("graph-fusion", "fuse operators into fewer, larger kernels", GraphPasses.FUSION),
      new NamedPipeline("O0", "no optimization: bind shapes, lower, plan memory",
          "bind-shapes,lower-graph-to-loops,plan-memory"),
      new NamedPipeline("O1", "the default schedules on the loops as lowered",
          "bind-shapes,lower-graph-to-loops,schedule,plan-memory"),
      new NamedPipeline("O2", "graph clean-up, then O1",
          "bind-shapes,graph-cleanup,lower-graph-to-loops,schedule,plan-memory"),
      new NamedPipeline("O3", "graph clean-up, fusion and the NCHWc layout, then O1",
          "bind-shapes,graph-cleanup,graph-fusion,graph-cleanup,assign-layout,lower-graph-to-loops,fuse-elementwise,fold-copies-into-matmul,fuse-attention,schedule,plan-memory"));

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
