package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelExecutorTest {
  /** Splits every loop of more than one iteration, however small its measured work. */
  static final ParallelExecutor POOL = ParallelExecutor.withThreads(3, 0);

  @Test
  void everyIterationRunsExactlyOnceInChunksOfOnePerThread() {
    for (int extent : new int[] {0, 1, 2, 3, 7, 100}) {
      AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(extent, 1));
      Set<String> chunks = ConcurrentHashMap.newKeySet();
      POOL.forRange(extent, (lo, hi) -> {
        chunks.add(lo + ".." + hi);
        for (int i = lo; i < hi; i++) {
          hits.incrementAndGet(i);
        }
      });
      for (int i = 0; i < extent; i++) {
        assertEquals(1, hits.get(i), "extent " + extent + " index " + i);
      }
      assertEquals(Math.min(extent, 3), chunks.size(), "extent " + extent + ": " + chunks);
    }
  }

  @Test
  void nestedLoopsHelpInsteadOfDeadlocking() {
    AtomicIntegerArray hits = new AtomicIntegerArray(8 * 8);
    POOL.forRange(8, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        int row = i;
        POOL.forRange(8, (lo2, hi2) -> {
          for (int j = lo2; j < hi2; j++) {
            hits.incrementAndGet(row * 8 + j);
          }
        });
      }
    });
    for (int i = 0; i < 64; i++) {
      assertEquals(1, hits.get(i));
    }
  }

  @Test
  void aFailingChunkFailsTheLoop() {
    ArithmeticException e = assertThrows(ArithmeticException.class, () -> POOL.forRange(10, (lo, hi) -> {
      if (lo == 0) {
        throw new ArithmeticException("/ by zero");
      }
    }));
    assertEquals("/ by zero", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ParallelExecutor.withThreads(0));
    assertEquals(1, ParallelExecutor.serial().threads());
  }

  @Test
  void manyShortLoopsInARowEachRunEveryIterationOnce() {
    // Workers pick loops up by identity, spinning or parked: thousands of back-to-back loops of
    // 1 to 5 iterations (fewer chunks than threads included) catch a chunk run twice or never.
    long[] sum = new long[1];
    for (int round = 0; round < 2_000; round++) {
      int extent = 1 + round % 5;
      AtomicIntegerArray hits = new AtomicIntegerArray(extent);
      POOL.forRange(extent, (lo, hi) -> {
        for (int i = lo; i < hi; i++) {
          hits.incrementAndGet(i);
        }
      });
      for (int i = 0; i < extent; i++) {
        sum[0] += hits.get(i);
        assertEquals(1, hits.get(i), "round " + round + " index " + i);
      }
    }
    assertEquals(2_000 * 3, sum[0]);
  }

  @Test
  void loopsFromSeveralThreadsAtOnceAllComplete() throws InterruptedException {
    // One caller has the workers; the others run their loops on their own thread.
    AtomicIntegerArray hits = new AtomicIntegerArray(4 * 1000);
    Thread[] callers = new Thread[4];
    for (int t = 0; t < callers.length; t++) {
      int base = t * 1000;
      callers[t] = new Thread(() -> {
        for (int round = 0; round < 200; round++) {
          POOL.forRange(1000, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
              hits.incrementAndGet(base + i);
            }
          });
        }
      });
      callers[t].start();
    }
    for (Thread t : callers) {
      t.join();
    }
    for (int i = 0; i < hits.length(); i++) {
      assertEquals(200, hits.get(i), "index " + i);
    }
  }

  @Test
  void aClosedExecutorRunsLoopsOnTheCaller() {
    ParallelExecutor closed = ParallelExecutor.withThreads(2);
    closed.close();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    closed.forRange(10, (lo, hi) -> threads.add(Thread.currentThread().getName()));
    assertEquals(Set.of(Thread.currentThread().getName()), threads);
  }

  @Test
  void aFailureInAWorkersChunkIsRethrownAsThrown() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> POOL.forRange(3, (lo, hi) -> {
      if (lo == 2) {
        throw new IllegalStateException("chunk " + lo);
      }
    }));
    assertEquals("chunk 2", e.getMessage());
    // The executor still works afterwards.
    AtomicIntegerArray hits = new AtomicIntegerArray(3);
    POOL.forRange(3, (lo, hi) -> hits.incrementAndGet(lo));
    assertEquals("[1, 1, 1]", hits.toString());
  }

  /**
   * One call site (one lambda class) whose loops record which chunks ran, and on which thread.
   * Loop sizes are kept per call site and extent process-wide, so each test that relies on a
   * first, unmeasured loop uses extents of its own.
   */
  private static Set<String> runChunksOf(ParallelExecutor executor, int extent, Set<String> threads) {
    Set<String> chunks = ConcurrentHashMap.newKeySet();
    executor.forRange(extent, (lo, hi) -> {
      chunks.add(lo + ".." + hi);
      threads.add(Thread.currentThread().getName());
    });
    return chunks;
  }

  @Test
  void aLoopMeasuredBelowTheMinimumWorkRunsOnTheCallerAlone() {
    // Every measured loop is "too small" here: the first loop of the site and extent is split
    // (nothing measured yet), every later one runs whole on the caller.
    ParallelExecutor executor = ParallelExecutor.withThreads(2, Long.MAX_VALUE);
    try {
      Set<String> threads = ConcurrentHashMap.newKeySet();
      assertEquals(Set.of("0..5", "5..10"), runChunksOf(executor, 10, threads));
      for (int i = 0; i < 3; i++) {
        threads.clear();
        assertEquals(Set.of("0..10"), runChunksOf(executor, 10, threads));
        assertEquals(Set.of(Thread.currentThread().getName()), threads);
      }
      // Another extent of the same site is measured on its own.
      assertEquals(Set.of("0..2", "2..4"), runChunksOf(executor, 4, threads));
      assertEquals(Set.of("0..4"), runChunksOf(executor, 4, threads));
    } finally {
      executor.close();
    }
  }

  @Test
  void withoutAMinimumEveryLoopIsSplit() {
    ParallelExecutor executor = ParallelExecutor.withThreads(2, 0);
    try {
      for (int i = 0; i < 5; i++) {
        assertEquals(Set.of("0..3", "3..6"), runChunksOf(executor, 6, ConcurrentHashMap.newKeySet()));
      }
    } finally {
      executor.close();
    }
  }

  @Test
  void loopsWithinARunEachRunEveryIterationOnceAndWorkersParkAfterIt() throws InterruptedException {
    ParallelExecutor executor = ParallelExecutor.withThreads(3, 0);
    try {
      for (int run = 0; run < 50; run++) {
        executor.beginRun();
        // Runs overlap (a concurrent run on another thread): the workers stay hot until the last ends.
        executor.beginRun();
        try {
          for (int loop = 0; loop < 40; loop++) {
            int extent = 1 + loop % 7;
            AtomicIntegerArray hits = new AtomicIntegerArray(extent);
            executor.forRange(extent, (lo, hi) -> {
              for (int i = lo; i < hi; i++) {
                hits.incrementAndGet(i);
              }
            });
            for (int i = 0; i < extent; i++) {
              assertEquals(1, hits.get(i), "run " + run + " loop " + loop + " index " + i);
            }
          }
        } finally {
          executor.endRun();
          executor.endRun();
        }
      }
      // After the last run the workers stay hot for a bounded time (SPIN_NANOS), then park: an
      // idle model burns no core. (The deadline only bounds a broken test; nothing is timed.)
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (executor.parkedWorkers() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertEquals(2, executor.parkedWorkers());
    } finally {
      executor.close();
    }
    ParallelExecutor.serial().beginRun();
    ParallelExecutor.serial().endRun();
  }

  @Test
  void concurrentRunsWithNestedLoopsWhileWorkersSpinEachRunEveryIterationOnce()
      throws InterruptedException {
    // Concurrent runs of one model on one executor (overlapping beginRun/endRun), each with
    // nested loops: the workers spin between loops while any run is on, one run has them, the
    // other runs and the nested loops run on their own threads.
    ParallelExecutor executor = ParallelExecutor.withThreads(3, 0);
    try {
      AtomicIntegerArray hits = new AtomicIntegerArray(3 * 6 * 6);
      Thread[] runs = new Thread[3];
      for (int t = 0; t < runs.length; t++) {
        int base = t * 36;
        runs[t] = new Thread(() -> {
          for (int run = 0; run < 100; run++) {
            executor.beginRun();
            try {
              executor.forRange(6, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                  int row = i;
                  executor.forRange(6, (lo2, hi2) -> {
                    for (int j = lo2; j < hi2; j++) {
                      hits.incrementAndGet(base + row * 6 + j);
                    }
                  });
                }
              });
            } finally {
              executor.endRun();
            }
          }
        });
        runs[t].start();
      }
      for (Thread t : runs) {
        t.join();
      }
      for (int i = 0; i < hits.length(); i++) {
        assertEquals(100, hits.get(i), "index " + i);
      }
    } finally {
      executor.close();
    }
  }

  @Test
  void loopsSplitCountsTheSplitLoopsOnly() {
    ParallelExecutor executor = ParallelExecutor.withThreads(2, Long.MAX_VALUE);
    try {
      long before = executor.loopsSplit();
      executor.beginRun(false);
      try {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        runChunksOf(executor, 13, threads); // split: not measured yet
        runChunksOf(executor, 13, threads); // too small: on the caller
        executor.forRange(1, (lo, hi) -> { }); // one iteration: never split
      } finally {
        executor.endRun();
      }
      assertEquals(before + 1, executor.loopsSplit());
    } finally {
      executor.close();
    }
  }

  @Test
  void theProfilerCountsWhatBecameOfEachLoop() {
    ParallelExecutor executor = ParallelExecutor.withThreads(2, Long.MAX_VALUE);
    KernelProfiler.start();
    try {
      Set<String> threads = ConcurrentHashMap.newKeySet();
      runChunksOf(executor, 8, threads); // not measured yet: split
      runChunksOf(executor, 8, threads); // measured, "too small"
      executor.forRange(4, (lo, hi) -> executor.forRange(3, (a, b) -> { })); // split, with nested loops
      KernelProfiler.LoopCounts counts = KernelProfiler.loopCounts();
      assertEquals(2, counts.split());
      assertEquals(1, counts.tooSmall());
      assertEquals(2, counts.nested());
      assertEquals(5, counts.total());
      // Two split loops of two chunks: the caller ran at most the other chunk of each itself; the
      // times are sums of non-negative waits (no worker start time without a worker's chunk).
      assertTrue(counts.callerExtraChunks() >= 0 && counts.callerExtraChunks() <= 2);
      assertTrue(counts.joinWaitNanos() >= 0 && counts.workerLateNanos() >= 0);
      assertTrue(counts.helped() > 0 || counts.workerLateNanos() == 0);
      assertEquals(2, counts.callerExtraChunks() + counts.helped(), "each loop's second chunk ran once");
      // The time line: every chunk of both split loops, in order within a thread, after publication.
      KernelProfiler.SplitSpans spans = KernelProfiler.splitSpans();
      assertEquals(2, spans.loops());
      assertEquals(counts.helped(), spans.workerLoops());
      assertEquals(2, spans.recent().size());
      for (long[] loop : spans.recent()) {
        assertEquals(2 * 4, loop.length, "start, end, side and CPU time of each of the two chunks");
        for (int c = 0; c < loop.length; c += 4) {
          assertTrue(loop[c] >= 0 && loop[c + 1] >= loop[c] && loop[c + 3] >= 0, java.util.Arrays.toString(loop));
        }
      }
      assertTrue(spans.callerEnd() >= spans.callerStart() && spans.callerBusyNanos() > 0);
      assertTrue(spans.workerLoops() > 0 || (spans.workerBusyNanos() == 0 && spans.workerCpuNanos() == 0));
      assertTrue(spans.callerCpuNanos() >= 0);
    } finally {
      KernelProfiler.stop();
      executor.close();
    }
  }

  @Test
  void badArguments() {
    assertThrows(IllegalArgumentException.class, () -> ParallelExecutor.withThreads(0, 0));
    assertThrows(IllegalArgumentException.class, () -> ParallelExecutor.withThreads(2, -1));
  }
}
