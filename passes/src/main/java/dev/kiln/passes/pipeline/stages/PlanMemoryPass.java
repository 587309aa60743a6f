package dev.kiln.passes.pipeline.stages;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.memory.MemoryPlan;
import dev.kiln.passes.memory.MemoryPlanner;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Pass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassException;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.pipeline.PassOption;
import dev.kiln.passes.pipeline.PassOptions;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code plan-memory}: places the scratch buffers in arenas ({@link MemoryPlanner}). Which dtypes
 * share an arena is the runtime's business (its storage array types); the API registers this pass
 * with the runtime's mapping, and the default here is one arena per dtype.
 */
public final class PlanMemoryPass implements Pass {
  public static final PassInfo INFO = info(d -> d.name().toLowerCase(Locale.ROOT));

  private final Function<DType, String> arenaOf;
  private final long alignment;

  private PlanMemoryPass(Function<DType, String> arenaOf, PassOptions options) {
    this.arenaOf = arenaOf;
    this.alignment = options.integer("alignment");
  }

  /** The registry entry, with {@code arenaOf} naming each dtype's arena. */
  public static PassInfo info(Function<DType, String> arenaOf) {
    return new PassInfo("plan-memory",
        "place scratch buffers in shared arenas by lifetime (no two live buffers overlap)",
        IrLevel.LOOPS, IrLevel.LOOPS, ImmutableList.of(
            PassOption.ofInt("alignment", MemoryPlanner.DEFAULT_ALIGNMENT, "byte alignment of every offset")),
        values -> new PlanMemoryPass(arenaOf, values));
  }

  @Override
  public Ir run(Ir input, PassContext context) {
    if (alignment < 1 || alignment > 4096 || Long.bitCount(alignment) != 1) {
      throw new PassException("plan-memory: alignment must be a power of two from 1 to 4096, got " + alignment);
    }
    MemoryPlan plan = MemoryPlanner.plan(input.program(), arenaOf, (int) alignment);
    return new Ir.OfLoops(input.program(), Optional.of(plan));
  }
}
