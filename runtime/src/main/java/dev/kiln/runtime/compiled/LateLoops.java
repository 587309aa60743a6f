package dev.kiln.runtime.compiled;

/**
 * Whether a spinning worker should stop spinning for a while: it found {@code threshold} of the
 * last 8 loops late (more than {@code kiln.lateMicros} after their publication, i.e. it was off
 * its core). One late loop alone is this VM's ordinary hiccup (a vCPU preempted for a few hundred
 * µs, docs/performance.md "The second thread's lottery"); a machine busier than its cores makes
 * most loops late. Not thread-safe: one per worker.
 */
final class LateLoops {
  private final int threshold;
  /** Bit i: whether the loop found i loops ago was late. */
  private int history;

  /** @param threshold late loops among the last 8 that stop the spinning, 1 to 8 */
  LateLoops(int threshold) {
    this.threshold = Math.max(1, Math.min(8, threshold));
  }

  /** Records the next loop found while spinning; true when the worker should stop spinning now. */
  boolean found(boolean late) {
    history = (history << 1 | (late ? 1 : 0)) & 0xff;
    if (late && Integer.bitCount(history) >= threshold) {
      history = 0;
      return true;
    }
    return false;
  }
}
