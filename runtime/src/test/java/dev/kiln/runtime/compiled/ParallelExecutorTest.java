package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelExecutorTest {
  static final ParallelExecutor POOL = ParallelExecutor.withThreads(3);

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
}
