package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The profiler is process-wide: this test runs alone. */
@Isolated
class KernelProfilerTest {
  /**
   * Two kernels; the second one spins for 2 ms, so it is the longer one even when a pause (a
   * safepoint, a descheduled thread) falls between the first one's start and end.
   */
  private static final CompiledProgram TWO_KERNELS = frame -> {
    frame.enterKernel(0);
    frame.enterKernel(1);
    long start = System.nanoTime();
    while (System.nanoTime() - start < 2_000_000) {
      Thread.onSpinWait();
    }
  };

  private static ExecutableProgram program(List<String> sources) {
    return new ExecutableProgram(TWO_KERNELS, new FrameLayout(ImmutableList.of(), ImmutableMap.of()),
        Map.of(), sources);
  }

  @Test
  void timesEachKernelOfEveryRunWhileOnAndNothingWhenOff() {
    ExecutableProgram p = program(List.of("Relu node 'a'", "MaxPool node 'b'"));
    p.run(Map.of(), ParallelExecutor.serial());
    KernelProfiler.start();
    for (int i = 0; i < 3; i++) {
      p.run(Map.of(), ParallelExecutor.serial());
    }
    List<KernelProfiler.KernelTime> times = KernelProfiler.stop();
    p.run(Map.of(), ParallelExecutor.serial());

    assertEquals(2, times.size());
    KernelProfiler.KernelTime longest = times.getFirst();
    assertEquals(1, longest.index());
    assertEquals("MaxPool node 'b'", longest.source());
    assertEquals(3, longest.runs());
    assertTrue(longest.nanos() > 0 && longest.millisPerRun() > 0);
    assertEquals("Relu node 'a'", times.get(1).source());
    // Stopped: a later start sees none of the runs before it.
    KernelProfiler.start();
    assertEquals(List.of(), KernelProfiler.stop());
  }

  @Test
  void kernelsWithoutSourcesAreNamedByIndex() {
    ExecutableProgram p = program(List.of());
    KernelProfiler.start();
    p.run(Map.of(), ParallelExecutor.serial());
    List<KernelProfiler.KernelTime> times = KernelProfiler.stop();
    assertEquals("kernel 1", times.getFirst().source());
  }
}
