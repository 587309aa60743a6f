package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Chooses each kernel's schedule: a {@link ScheduleFunction} registered for the kernel's name,
 * else one registered for its operator type, else the {@link DefaultScheduler}. Immutable; the
 * {@code with...} methods return a new scheduler.
 *
 * <p>A kernel's operator type is the first word of its {@link Kernel#source()} (lowering writes
 * {@code "Conv node 'c1'"}, whose type is {@code Conv}).
 */
public final class Scheduler {
  private final ScheduleFunction fallback;
  private final ImmutableMap<String, ScheduleFunction> byKernel;
  private final ImmutableMap<String, ScheduleFunction> byOp;

  private Scheduler(ScheduleFunction fallback, ImmutableMap<String, ScheduleFunction> byKernel,
      ImmutableMap<String, ScheduleFunction> byOp) {
    this.fallback = fallback;
    this.byKernel = byKernel;
    this.byOp = byOp;
  }

  public static Scheduler defaults(ScheduleOptions options) {
    return new Scheduler(new DefaultScheduler(options), ImmutableMap.of(), ImmutableMap.of());
  }

  /** Schedules the kernel named {@code kernelName} with {@code function}. */
  public Scheduler withKernel(String kernelName, ScheduleFunction function) {
    return new Scheduler(fallback, with(byKernel, kernelName, function), byOp);
  }

  /** Schedules every kernel of operator type {@code opType} (e.g. {@code MatMul}) with {@code function}. */
  public Scheduler withOp(String opType, ScheduleFunction function) {
    return new Scheduler(fallback, byKernel, with(byOp, opType, function));
  }

  public static String opType(Kernel kernel) {
    String source = kernel.source().strip();
    int space = source.indexOf(' ');
    return space < 0 ? source : source.substring(0, space);
  }

  /**
   * The schedule of one kernel.
   *
   * @throws ScheduleException when a registered function's primitive refuses (the message names
   *     the kernel), or of kind {@link ScheduleError#WRONG_KERNEL} when it returns a schedule
   *     of some other kernel
   */
  public Schedule schedule(Kernel kernel) {
    ScheduleFunction f = byKernel.getOrDefault(kernel.name(), byOp.getOrDefault(opType(kernel), fallback));
    Schedule s = f.schedule(kernel);
    if (s == null || !s.original().equals(kernel)) {
      throw new ScheduleException(ScheduleError.WRONG_KERNEL, "the schedule function for kernel "
          + kernel.name() + " returned " + (s == null ? "null" : "a schedule of another kernel ("
          + s.original().name() + ")") + "; it must return Schedule.of(kernel) with primitives applied");
    }
    return s;
  }

  /** The schedule of every kernel, by kernel name, in program order. */
  public Map<String, Schedule> schedules(LoopProgram program) {
    Map<String, Schedule> out = new LinkedHashMap<>();
    for (Kernel k : program.kernels()) {
      out.put(k.name(), schedule(k));
    }
    return out;
  }

  /** The program with every kernel replaced by its scheduled form. */
  public LoopProgram apply(LoopProgram program) {
    return program.withKernels(schedules(program).values().stream().map(Schedule::kernel)
        .collect(ImmutableList.toImmutableList()));
  }

  private static ImmutableMap<String, ScheduleFunction> with(Map<String, ScheduleFunction> map, String key,
      ScheduleFunction f) {
    Map<String, ScheduleFunction> copy = new LinkedHashMap<>(map);
    copy.put(key, f);
    return ImmutableMap.copyOf(copy);
  }
}
