package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.compiled.ParallelExecutor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HandOffLatencyTest {
  @Test
  void onOneThreadTheCallerRunsEverySecondChunk() {
    HandOffLatency.Result r = HandOffLatency.measure(ParallelExecutor.serial(), 5, 40, 20_000, 0);
    assertEquals(40, r.startNanos().length);
    assertEquals(40, r.missed());
    assertTrue(r.summary().contains("the worker started none; in 40 loops (100.0 %) the caller ran both chunks"),
        r.summary());
  }

  @Test
  void onTwoThreadsEachLoopIsEitherHelpedOrMissed() {
    try (ParallelExecutor executor = ParallelExecutor.withThreads(2)) {
      // 200 µs chunks: a worker that is on a core at all starts long before the caller is done.
      HandOffLatency.Result r = HandOffLatency.measure(executor, 20, 100, 200_000, 5_000);
      assertEquals(100, r.startNanos().length);
      long helped = Arrays.stream(r.startNanos()).filter(s -> s >= 0).count();
      assertEquals(100, helped + r.missed());
      assertTrue(helped > 0, "the worker never ran a chunk: " + r.summary());
      // A start is measured from publication and the chunk began before the caller's ended.
      assertTrue(Arrays.stream(r.startNanos()).allMatch(s -> s < 0 || s < 60_000_000L), r.summary());
      assertTrue(r.summary().startsWith("100 loops of 2 x 200 µs, 5 µs serial between loops: the worker started"),
          r.summary());
    }
  }

  @Test
  void badArgumentsAreRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HandOffLatency.measure(ParallelExecutor.serial(), 0, 0, 1000, 0));
    assertTrue(e.getMessage().contains("loops must be positive"), e.getMessage());
  }
}
