package dev.kiln.passes.schedule;

import dev.kiln.ir.loop.Kernel;

/**
 * A way to schedule a kernel: start from {@code Schedule.of(kernel)}, call primitives, return
 * it. Register one with {@link Scheduler#withKernel} (one kernel by name) or
 * {@link Scheduler#withOp} (every kernel of an operator type) to replace the
 * {@link DefaultScheduler} there, e.g.
 *
 * <pre>{@code
 * Scheduler scheduler = Scheduler.defaults(ScheduleOptions.withLanes(8))
 *     .withOp("MatMul", kernel -> {
 *       Schedule s = Schedule.of(kernel);
 *       Schedule.TiledLoops t = s.tile("i", "j", 8, 16);
 *       s.parallelize(t.outerA());
 *       return s;
 *     });
 * }</pre>
 *
 * A function may throw {@link ScheduleException} (a primitive refused); the scheduler reports it
 * with the kernel's name. Each primitive checks its own legality, so a custom schedule can be
 * slow but never wrong.
 */
@FunctionalInterface
public interface ScheduleFunction {
  /** The schedule of {@code kernel}; must be a schedule made from that very kernel. */
  Schedule schedule(Kernel kernel);
}
