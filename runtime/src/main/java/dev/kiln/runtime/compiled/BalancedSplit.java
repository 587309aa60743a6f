package dev.kiln.runtime.compiled;

/**
 * Contiguous splits of {@code [0, total)} into {@code parts} ranges of whole steps (a kernel's
 * microkernel width), as even as whole steps allow: any two ranges differ by at most one step,
 * the last step may be partial, and together they cover every index exactly once. Generated
 * kernels call it to give each thread of a parallel loop an equal share of pixels, whatever the
 * thread count: part {@code k} is {@code [bound(k), bound(k + 1))}.
 *
 * <p>Why not a fixed number of fixed-size tasks: 9 tasks (3 pixel ranges of 3 output-channel
 * groups, the last range and group narrower) split on 2 threads as 4 + 5 tasks, one thread with
 * ~15 % more work than the other, so the loop took 15 % longer than half.
 */
public final class BalancedSplit {
  private BalancedSplit() {}

  /**
   * The start of part {@code k} ({@code 0 <= k <= parts}; {@code parts} gives {@code total}) of
   * {@code [0, total)} split into {@code parts} ranges of whole {@code step}s.
   */
  public static int bound(int total, int step, int parts, int k) {
    long steps = ((long) total + step - 1) / step;
    return (int) Math.min(total, steps * k / parts * step);
  }

  /**
   * How many parts to split into on {@code threads} threads when {@code serialParts} is the
   * split's size on one thread (what keeps a part's data in cache): the next multiple of the
   * thread count, so that the executor's equal shares of the parts are equal shares of the work.
   */
  public static int parts(int serialParts, int threads) {
    int t = Math.max(1, threads);
    return (Math.max(1, serialParts) + t - 1) / t * t;
  }
}
