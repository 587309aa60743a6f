package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Kernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The primitive calls that made a schedule, in order. Prints one call per line
 * ({@code split(i, 8) -> i.o, i.i}), parses back with {@link #parse}, and {@link #replay}s on the
 * original kernel to the same scheduled kernel: a trace is a schedule's portable, reviewable form
 * (for cache keys, bug reports and hand-written schedules).
 */
public record Trace(ImmutableList<TraceStep> steps) {
  public Trace {
    steps = ImmutableList.copyOf(steps);
  }

  /** One line per step, each ending in a newline. */
  @Override
  public String toString() {
    return steps.stream().map(s -> s.text() + "\n").collect(Collectors.joining());
  }

  /**
   * Reads trace text: one step per line, blank lines and {@code #} comments ignored.
   *
   * @throws ScheduleException of kind {@link ScheduleError#TRACE_SYNTAX} naming line and column
   */
  public static Trace parse(String text) {
    List<TraceStep> steps = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      TraceParser.parseLine(lines[n], n + 1).ifPresent(steps::add);
    }
    return new Trace(ImmutableList.copyOf(steps));
  }

  /** Replays on a kernel; a trace with {@code compute_at} steps needs {@link #replay(Kernel, Map)}. */
  public Schedule replay(Kernel kernel) {
    return replay(kernel, Map.of());
  }

  /**
   * Applies every step to a fresh schedule of {@code kernel}, checking that each step makes the
   * loops it recorded.
   *
   * @param producers the producer kernels of {@code compute_at} steps, by kernel name
   * @throws ScheduleException a step's precondition fails, or {@link ScheduleError#TRACE_MISMATCH}
   *     when a step makes loops of other names or names an unknown producer
   */
  public Schedule replay(Kernel kernel, Map<String, Kernel> producers) {
    Schedule s = Schedule.of(kernel);
    for (int n = 0; n < steps.size(); n++) {
      TraceStep step = steps.get(n);
      List<String> made = switch (step) {
        case TraceStep.Split x -> {
          Schedule.SplitLoops r = s.split(x.loop(), x.factor());
          yield List.of(r.outer().name(), r.inner().name());
        }
        case TraceStep.Tile x -> {
          Schedule.TiledLoops r = s.tile(x.loopA(), x.loopB(), x.factorA(), x.factorB());
          yield List.of(r.outerA().name(), r.outerB().name(), r.innerA().name(), r.innerB().name());
        }
        case TraceStep.Reorder x -> {
          s.reorder(x.loops().toArray(String[]::new));
          yield List.of();
        }
        case TraceStep.Fuse x -> List.of(s.fuse(x.outer(), x.inner()).name());
        case TraceStep.Vectorize x -> {
          s.vectorize(x.loop());
          yield List.of();
        }
        case TraceStep.Parallelize x -> {
          s.parallelize(x.loop());
          yield List.of();
        }
        case TraceStep.Unroll x -> {
          s.unroll(x.loop());
          yield List.of();
        }
        case TraceStep.AccumulateInPlace x -> {
          s.accumulateInPlace(x.loop());
          yield List.of();
        }
        case TraceStep.Fission x -> s.fission(x.loop()).stream().map(v -> v.name()).toList();
        case TraceStep.ComputeAt x -> {
          Kernel producer = producers.get(x.producer());
          if (producer == null) {
            throw new ScheduleException(ScheduleError.TRACE_MISMATCH, "trace step " + (n + 1) + " ("
                + step.text() + "): no producer kernel named " + x.producer() + " was given");
          }
          s.computeAt(producer, x.loop());
          yield List.of();
        }
      };
      List<String> recorded = recordedLoops(step);
      if (!made.equals(recorded)) {
        throw new ScheduleException(ScheduleError.TRACE_MISMATCH, "trace step " + (n + 1) + " ("
            + step.text() + ") made loops " + String.join(", ", made) + " on kernel " + kernel.name());
      }
    }
    return s;
  }

  private static List<String> recordedLoops(TraceStep step) {
    return switch (step) {
      case TraceStep.Split x -> List.of(x.outer(), x.inner());
      case TraceStep.Tile x -> List.of(x.outerA(), x.outerB(), x.innerA(), x.innerB());
      case TraceStep.Fuse x -> List.of(x.fused());
      case TraceStep.Fission x -> x.loops();
      default -> List.of();
    };
  }
}
