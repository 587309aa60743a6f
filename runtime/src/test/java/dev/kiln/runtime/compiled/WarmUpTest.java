package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WarmUpTest {
  @Test
  void runsUntilSettledOrTheBudgetIsSpentAndCountsEveryRun() {
    AtomicInteger calls = new AtomicInteger();
    WarmUp w = WarmUp.run(calls::incrementAndGet, 20, 2_000_000_000L);
    assertEquals(calls.get(), w.runs());
    // Settled means at least the least number of runs and a few windows of no improvement.
    assertTrue(!w.settled() || w.runs() >= Math.max(20, WarmUp.STEADY_WINDOWS * WarmUp.WINDOW_RUNS),
        w.describe());
    assertTrue(w.describe().contains(w.settled() ? "settled at" : "not settled"), w.describe());
  }

  @Test
  void aZeroBudgetRunsOnceAndNegativeArgumentsAreRefused() {
    AtomicInteger calls = new AtomicInteger();
    WarmUp w = WarmUp.run(calls::incrementAndGet, 50, 0);
    assertEquals(1, calls.get());
    assertEquals(1, w.runs());
    assertEquals(w.firstRunNanos(), w.bestRunNanos());
    assertTrue(!w.settled());
    assertThrows(IllegalArgumentException.class, () -> WarmUp.run(() -> { }, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> WarmUp.run(() -> { }, 0, -1));
  }
}
