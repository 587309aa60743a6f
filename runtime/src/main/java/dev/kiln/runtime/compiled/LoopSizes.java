package dev.kiln.runtime.compiled;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long the parallel loops of one call site took, measured as they run, so that
 * {@link ParallelExecutor} can run a loop too small to pay for a hand-off on its caller alone.
 * A call site is the class of the loop's {@link RangeTask} (generated code passes a lambda, one
 * class per site); its loops are told apart by extent, since one site (a GEMM's shared helper)
 * may run loops of several sizes. Each site keeps the last few extents it ran.
 *
 * <p>Why measured and not estimated at compile time: the work of an iteration depends on the
 * code the JIT made of it (interpreted code is 10 to 50 times slower than C2's) and on what the
 * lowering put inside, which the schedule pass does not see for kernels that code generation
 * blocks itself (GEMM, blocked convolution). A loop is timed whole when run serially and as the
 * sum of its chunks when split (the work, not the wall time).
 *
 * <p>Thread-safe in the sense that matters for a heuristic: each entry is one atomic 64-bit word
 * (extent and nanoseconds packed), so a racing reader sees some whole entry, never a torn one; a
 * lost update only delays the estimate.
 */
final class LoopSizes {
  /** Extents remembered per call site. */
  private static final int ENTRIES = 4;
  /** Saturation of the packed nanoseconds (about 4.3 s: any loop that long is large). */
  private static final long MAX_NANOS = 0xFFFF_FFFFL;
  /** An entry with extent 0: nothing measured yet (no loop of extent 0 is ever timed). */
  static final long UNKNOWN = -1;

  private static final ClassValue<LoopSizes> SITES = new ClassValue<>() {
    @Override
    protected LoopSizes computeValue(Class<?> type) {
      return new LoopSizes();
    }
  };

  private final AtomicLongArray entries = new AtomicLongArray(ENTRIES);
  private int nextVictim;

  private LoopSizes() {}

  /** The sizes of the loops whose body is {@code task}'s class. */
  static LoopSizes of(RangeTask task) {
    return SITES.get(task.getClass());
  }

  /** The estimated nanoseconds of work of a loop of {@code extent} iterations, or {@link #UNKNOWN}. */
  long nanos(int extent) {
    for (int i = 0; i < ENTRIES; i++) {
      long e = entries.getOpaque(i);
      if ((int) (e >>> 32) == extent && e != 0) {
        return e & MAX_NANOS;
      }
    }
    return UNKNOWN;
  }

  /**
   * Adds a measurement: the estimate moves a quarter of the way to it (a single slow run, a
   * preemption or a GC, does not flip a loop's decision; JIT compilation making it faster does,
   * within a few runs).
   */
  void record(int extent, long nanos) {
    long measured = Math.min(Math.max(nanos, 0), MAX_NANOS);
    for (int i = 0; i < ENTRIES; i++) {
      long e = entries.getOpaque(i);
      if ((int) (e >>> 32) == extent && e != 0) {
        long old = e & MAX_NANOS;
        entries.setOpaque(i, pack(extent, old + (measured - old) / 4));
        return;
      }
    }
    int victim = nextVictim;
    nextVictim = (victim + 1) % ENTRIES;
    entries.setOpaque(victim, pack(extent, measured));
  }

  private static long pack(int extent, long nanos) {
    return ((long) extent << 32) | nanos;
  }
}
