package dev.kiln.passes.pipeline.stages;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Pass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.pipeline.PassOption;
import dev.kiln.passes.pipeline.PassOptions;
import dev.kiln.passes.schedule.ScheduleFunction;
import dev.kiln.passes.schedule.ScheduleOptions;
import dev.kiln.passes.schedule.Scheduler;
import java.util.Map;

/**
 * {@code schedule}: every kernel's schedule from the {@link Scheduler} (custom schedules by
 * operator type where given, the default schedule elsewhere).
 */
public final class SchedulePass implements Pass {
  public static final PassInfo INFO = info(Map.of());

  private final PassOptions options;
  private final ImmutableMap<String, ScheduleFunction> byOp;

  private SchedulePass(PassOptions options, Map<String, ScheduleFunction> byOp) {
    this.options = options;
    this.byOp = ImmutableMap.copyOf(byOp);
  }

  /** The registry entry, with custom schedules by operator type (e.g. from {@code ModelOptions.withSchedule}). */
  public static PassInfo info(Map<String, ScheduleFunction> byOp) {
    ImmutableMap<String, ScheduleFunction> custom = ImmutableMap.copyOf(byOp);
    return new PassInfo("schedule",
        "apply the default schedules (tiling, vectorization, parallel outer loops, unrolling) to every kernel",
        IrLevel.LOOPS, IrLevel.LOOPS, ImmutableList.of(
            PassOption.ofInt("lanes", 0, "f32 lanes to vectorize for; 0: the target's preferred vector"),
            PassOption.ofInt("tile-rows", 4, "rows of a matmul-like output tile"),
            PassOption.ofInt("tile-cols", 0, "columns of a matmul-like output tile; 0: two vectors"),
            PassOption.ofBool("parallel", true, "run outer loops on the thread pool"),
            PassOption.ofInt("max-unroll", 4, "unroll reduction loops up to this extent")),
        values -> new SchedulePass(values, custom));
  }

  @Override
  public Ir run(Ir input, PassContext context) {
    LoopProgram program = input.program();
    int lanes = (int) options.integer("lanes");
    lanes = lanes <= 0 ? Math.max(1, context.floatLanes()) : lanes;
    long cols = options.integer("tile-cols");
    ScheduleOptions schedule;
    try {
      schedule = new ScheduleOptions(lanes, options.integer("tile-rows"), cols <= 0 ? 2L * lanes : cols,
          options.bool("parallel"), options.integer("max-unroll"));
    } catch (IllegalArgumentException e) {
      throw new dev.kiln.passes.pipeline.PassException("schedule: " + e.getMessage());
    }
    Scheduler scheduler = Scheduler.defaults(schedule);
    for (var e : byOp.entrySet()) {
      scheduler = scheduler.withOp(e.getKey(), e.getValue());
    }
    return Ir.of(scheduler.apply(program));
  }
}
