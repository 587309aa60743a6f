package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link WarmUp}'s settle rule on synthetic run times and JIT activity: a fake clock that each
 * run advances by the time the sequence gives it, and a fake JIT meter. Nothing here is timed.
 */
class WarmUpSettleTest {
  private static final long MS = 1_000_000L;

  /** Run {@code i} (from 0) takes {@code nanos(i)} and makes the JIT compile for {@code jit(i)} ms. */
  static final class FakeModel implements Runnable {
    final IntToLongFunction nanos;
    final IntToLongFunction jitMillis;
    long now = 1_000 * MS;
    long compiled = 500;
    int calls;

    FakeModel(IntToLongFunction nanos, IntToLongFunction jitMillis) {
      this.nanos = nanos;
      this.jitMillis = jitMillis;
    }

    @Override
    public void run() {
      now += nanos.applyAsLong(calls);
      compiled += jitMillis.applyAsLong(calls);
      calls++;
    }

    WarmUp warmUp(int minRuns, long minNanos, long maxNanos) {
      return WarmUp.run(this, minRuns, minNanos, maxNanos, () -> now, () -> compiled);
    }
  }

  private static final IntToLongFunction NO_JIT = i -> 0;

  @Test
  void settlesThreeWindowsAfterTheRunTimeStopsImproving() {
    // 10 ms falling by 1 ms a run to 1 ms at run 9, then flat. The first window (at least 10
    // runs and 50 ms) is runs 1 to 14, median 3 ms; the second (50 runs of 1 ms) still improves
    // on that median; the next three are steady.
    FakeModel m = new FakeModel(i -> Math.max(1, 10 - i) * MS, NO_JIT);
    WarmUp w = m.warmUp(0, 0, 60_000 * MS);
    assertTrue(w.settled(), w.describe());
    assertEquals(m.calls, w.runs());
    assertEquals(1 + 14 + 4 * 50, w.runs(), w.describe());
    assertEquals(1 * MS, w.bestRunNanos());
    assertEquals(1 * MS, w.medianRunNanos());
    assertEquals(10 * MS, w.firstRunNanos());
    assertEquals(0, w.compileMillis());
    assertTrue(w.describe().contains("settled at 1.000 ms per run (median 1.000), JIT 0 ms"), w.describe());
  }

  @Test
  void aRunTimeStillImprovingByMoreThanTwoPercentAWindowReachesTheCap() {
    // 5 % faster every 10 runs, for ever (the floor is far away).
    FakeModel m = new FakeModel(i -> (long) (100 * MS * Math.pow(0.95, i / 10)), NO_JIT);
    WarmUp w = m.warmUp(0, 0, 5_000 * MS);
    assertFalse(w.settled(), w.describe());
    assertTrue(w.nanos() >= 5_000 * MS, w.describe());
    assertTrue(w.describe().contains("not settled within the budget"), w.describe());
  }

  @Test
  void theJitCompilingKeepsItGoingEvenWhenTheRunTimeIsFlat() {
    // Flat 2 ms runs, but the JIT compiles 1 ms per run for the first 1000 runs (C2 on another
    // core): no window is quiet until then, so it settles 3 windows after run 1000.
    FakeModel m = new FakeModel(i -> 2 * MS, i -> i < 1000 ? 1 : 0);
    WarmUp w = m.warmUp(0, 0, 60_000 * MS);
    assertTrue(w.settled(), w.describe());
    assertTrue(w.runs() > 1000 + 2 * 25 && w.runs() <= 1000 + 4 * 25 + 1, w.describe());
    assertTrue(w.compileMillis() >= 1000, w.describe());
  }

  @Test
  void jitActivityUpToOnePercentOfTheWindowCountsAsQuiet() {
    // Windows of 10 runs of 25 ms (250 ms), each with one stray compilation: 2 ms (0.8 %) is
    // quiet, 3 ms (1.2 %) is not. (The first window's median is the first, so it improves.)
    FakeModel quiet = new FakeModel(i -> 25 * MS, i -> i % 10 == 5 ? 2 : 0);
    WarmUp w = quiet.warmUp(0, 0, 60_000 * MS);
    assertTrue(w.settled(), w.describe());
    assertEquals(1 + 4 * 10, w.runs(), w.describe());
    FakeModel busy = new FakeModel(i -> 25 * MS, i -> i % 10 == 5 ? 3 : 0);
    WarmUp b = busy.warmUp(0, 0, 10_000 * MS);
    assertFalse(b.settled(), b.describe());
    assertEquals(400, b.runs(), b.describe());
    // 1 ms, the resolution of the JVM's figure, is quiet even in a 50 ms window (2 %).
    FakeModel stray = new FakeModel(i -> 5 * MS, i -> i % 10 == 5 ? 1 : 0);
    assertTrue(stray.warmUp(0, 0, 60_000 * MS).settled());
    assertTrue(WarmUp.jitQuiet(1, 1e6) && WarmUp.jitQuiet(2, 200e6) && !WarmUp.jitQuiet(2, 199e6));
  }

  @Test
  void theMedianStillImprovingKeepsItGoingEvenWhenTheFastestIsFlat() {
    // One run in ten is 1 ms from the start; the others fall from 3 ms by 1 % a run to 1.2 ms,
    // which they reach at run 91. On the fastest alone it would settle after 3 windows (~60 runs);
    // the median keeps it going until 3 windows (of over 40 runs each) after run 91.
    FakeModel m = new FakeModel(i -> i % 10 == 0 ? MS
        : Math.max((long) (1.2 * MS), (long) (3 * MS * Math.pow(0.99, i))), NO_JIT);
    WarmUp w = m.warmUp(0, 0, 60_000 * MS);
    assertTrue(w.settled(), w.describe());
    assertTrue(w.runs() > 91 + 3 * 40, w.describe());
    assertEquals(MS, w.bestRunNanos());
    assertEquals((long) (1.2 * MS), w.medianRunNanos());
  }

  @Test
  void theLeastRunsAndTimeComeFirst() {
    FakeModel flat = new FakeModel(i -> 10 * MS, NO_JIT);
    WarmUp byTime = flat.warmUp(0, 2_000 * MS, 60_000 * MS);
    assertTrue(byTime.settled(), byTime.describe());
    assertTrue(byTime.nanos() >= 2_000 * MS && byTime.nanos() < 2_000 * MS + 100 * MS, byTime.describe());
    FakeModel flat2 = new FakeModel(i -> 10 * MS, NO_JIT);
    WarmUp byRuns = flat2.warmUp(500, 0, 60_000 * MS);
    assertTrue(byRuns.settled(), byRuns.describe());
    assertTrue(byRuns.runs() >= 500 && byRuns.runs() <= 511, byRuns.describe());
  }

  @Test
  void theCapWinsOverTheLeastRuns() {
    FakeModel m = new FakeModel(i -> 10 * MS, NO_JIT);
    WarmUp w = m.warmUp(1_000, 0, 1_000 * MS);
    assertFalse(w.settled(), w.describe());
    assertEquals(100, w.runs(), w.describe());
    assertEquals(1_000 * MS, w.nanos());
  }

  @Test
  void equalLeastTimeAndCapMakeAFixedWarmUp() {
    FakeModel m = new FakeModel(i -> 10 * MS, NO_JIT);
    WarmUp w = m.warmUp(0, 1_000 * MS, 1_000 * MS);
    assertEquals(100, w.runs(), w.describe());
    assertEquals(1_000 * MS, w.nanos());
  }

  @Test
  void anUnmeasuredJitCountsAsQuiet() {
    FakeModel m = new FakeModel(i -> 2 * MS, NO_JIT);
    WarmUp w = WarmUp.run(m, 0, 0, 60_000 * MS, () -> m.now, () -> -1);
    assertTrue(w.settled(), w.describe());
    assertEquals(-1, w.compileMillis());
    assertFalse(w.describe().contains("JIT"), w.describe());
  }

  @Test
  void theLeastTimeMustNotExceedTheCap() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WarmUp.run(() -> { }, 0, 2, 1));
    assertTrue(e.getMessage().contains("least time must be from 0 to its budget (1 ns), got 2 ns"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> WarmUp.run(() -> { }, 0, -1, 1));
  }
}
