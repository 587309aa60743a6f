package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: any sequence of primitives that the schedule accepts leaves results unchanged (on
 * the interpreter), verifies, and its trace round-trips. Primitives are picked at random on
 * random loops; refused ones are skipped. Reproduce a failure from the seed in its message.
 */
class RandomScheduleTest {
  static final int SEEDS = 40;

  static List<Kernel> kernels() {
    return List.of(Fixtures.biasRelu(3, 5, 7), Fixtures.matmul(5, 6, 7), Fixtures.matmulInPlace(4, 5, 6),
        Fixtures.conv(2, 3, 6, 3), Fixtures.rowSum(3, 4, 5), Fixtures.polyMul(4, 3),
        AccumulateFissionTest.runningSum());
  }

  @Test
  void randomLegalSchedulesLeaveResultsUnchanged() {
    int applied = 0;
    int refused = 0;
    for (Kernel kernel : kernels()) {
      for (long seed = 1; seed <= SEEDS; seed++) {
        Random random = new Random(seed * 7919 + kernel.name().hashCode());
        Schedule s = Schedule.of(kernel);
        int steps = 1 + random.nextInt(6);
        for (int n = 0; n < steps; n++) {
          try {
            randomStep(s, random);
            applied++;
          } catch (ScheduleException e) {
            refused++;
          }
        }
        ScheduleChecks.assertLegal(s, Map.of(), "kernel " + kernel.name() + " seed " + seed + "\n" + s.trace());
      }
    }
    // The property means little unless many primitives were actually applied.
    assertTrue(applied > 300, "only " + applied + " primitives applied, " + refused + " refused");
  }

  /** A program with each kernel randomly scheduled, how many primitives applied, and the traces. */
  record RandomlyScheduled(LoopProgram program, int applied, String traces) {}

  /**
   * {@code program} with 1 to 5 random primitives tried on each kernel (refused ones skipped), each
   * schedule's trace checked to round-trip; {@code context} names the case in failures.
   */
  static RandomlyScheduled scheduleEachKernel(LoopProgram program, Random random, String context) {
    int applied = 0;
    List<Kernel> kernels = new ArrayList<>();
    StringBuilder traces = new StringBuilder();
    for (Kernel k : program.kernels()) {
      Schedule s = Schedule.of(k);
      // The bound is redrawn before each step (not drawn once), so each seed replays as before.
      for (int n = 0; n < 1 + random.nextInt(5); n++) {
        try {
          randomStep(s, random);
          applied++;
        } catch (ScheduleException refused) {
          // Refused primitives leave the schedule unchanged.
        }
      }
      ScheduleChecks.assertTraceRoundTrip(s, Map.of(), context);
      kernels.add(s.kernel());
      traces.append(k.name()).append(":\n").append(s.trace());
    }
    return new RandomlyScheduled(
        program.withKernels(ImmutableList.copyOf(kernels)), applied, traces.toString());
  }

  static void randomStep(Schedule s, Random random) {
    List<String> loops = new ArrayList<>(Loops.loopNames(s.kernel().body()));
    if (loops.isEmpty()) {
      return; // a lone matmul intrinsic: nothing to schedule
    }
    String loop = loops.get(random.nextInt(loops.size()));
    switch (random.nextInt(10)) {
      case 8 -> s.accumulateInPlace(loop);
      case 9 -> s.fission(loop);
      case 0, 1 -> s.split(loop, 1 + random.nextInt(5));
      case 2 -> {
        List<String> chain = chainFrom(s.kernel(), loop);
        if (chain.size() >= 2) {
          int from = random.nextInt(chain.size() - 1);
          int to = from + 2 + random.nextInt(chain.size() - from - 1);
          List<String> picked = new ArrayList<>(chain.subList(from, to));
          Collections.shuffle(picked, random);
          s.reorder(picked.toArray(String[]::new));
        }
      }
      case 3 -> {
        List<String> chain = chainFrom(s.kernel(), loop);
        if (chain.size() >= 2) {
          s.fuse(chain.get(0), chain.get(1));
        }
      }
      case 4 -> {
        List<String> chain = chainFrom(s.kernel(), loop);
        if (chain.size() >= 2) {
          s.tile(chain.get(0), chain.get(1), 1 + random.nextInt(4), 1 + random.nextInt(4));
        }
      }
      case 5 -> s.parallelize(loop);
      case 6 -> s.vectorize(loop);
      default -> s.unroll(loop);
    }
  }

  /** The loop and the loops below it that are perfectly nested in it (through guards). */
  private static List<String> chainFrom(Kernel k, String loop) {
    List<String> chain = new ArrayList<>();
    Stmt s = Loops.find(k.body(), loop).orElseThrow().loop();
    while (true) {
      while (s instanceof Stmt.If i && i.otherwise().isEmpty()) {
        s = i.then();
      }
      if (!(s instanceof Stmt.For f)) {
        return chain;
      }
      chain.add(f.var().name());
      s = f.body();
    }
  }
}
