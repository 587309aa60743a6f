package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The processor queries and moves, each on a thread of its own (a move restricts the calling
 * thread's affinity for good; the test runner's threads are never touched).
 */
class ProcessorsTest {
  @Test
  void currentProcessorIsOneTheThreadMayRunOn() throws Exception {
    onOwnThread(() -> {
      long[] allowed = Processors.allowed();
      int cpu = Processors.current();
      assumeTrue(allowed != null && cpu >= 0, "no sched_getcpu / sched_getaffinity here");
      assertTrue((allowed[cpu / 64] & (1L << (cpu % 64))) != 0, "processor " + cpu + " not in the allowed set");
    });
  }

  @Test
  void leavingAProcessorMovesTheThreadOffIt() throws Exception {
    onOwnThread(() -> {
      long[] allowed = Processors.allowed();
      assumeTrue(allowed != null && Long.bitCount(allowed[0]) >= 2, "needs two processors");
      int cpu = Processors.current();
      assumeTrue(cpu >= 0);
      long before = Processors.moves();
      assertTrue(Processors.leave(cpu, allowed));
      assertEquals(before + 1, Processors.moves());
      // The kernel moves a thread off a processor its affinity no longer holds before returning.
      assertNotEquals(cpu, Processors.current());
      long[] now = Processors.allowed();
      assertEquals(0, now[cpu / 64] & (1L << (cpu % 64)));
    });
  }

  @Test
  void leavingTheOnlyProcessorOrAnUnknownOneChangesNothing() throws Exception {
    onOwnThread(() -> {
      long[] allowed = Processors.allowed();
      int cpu = Processors.current();
      assumeTrue(allowed != null && cpu >= 0);
      long[] only = new long[allowed.length];
      only[cpu / 64] = 1L << (cpu % 64);
      assertFalse(Processors.leave(cpu, only));
      assertFalse(Processors.leave(-1, allowed));
      assertFalse(Processors.leave(cpu, null));
      assertEquals(Long.bitCount(allowed[0]), Long.bitCount(Processors.allowed()[0]));
    });
  }

  private static void onOwnThread(Runnable check) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        check.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    t.start();
    t.join();
    if (failure.get() instanceof org.opentest4j.TestAbortedException a) {
      throw a;
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }
}
