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
}
