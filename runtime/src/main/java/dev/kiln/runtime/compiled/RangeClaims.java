package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Hands out {@code [0, extent)} in groups to the threads of one parallel loop: the range is cut
 * into one region per thread, each thread claims groups of its own region first (in order), then
 * of the others' regions. Every index is claimed exactly once.
 *
 * <p>Why not one shared counter (as the small-M GEMM paths had): with one counter the threads
 * take alternate groups, so every claim moves the counter's cache line between the cores, and a
 * thread's share of constant weights differs from one run to the next (no L2 stays warm with its
 * half). Why not a fixed split either: a worker that starts late would leave the caller waiting
 * for its whole half; here the caller, done with its own region, claims what is left of the
 * late worker's, so a late worker costs only what it has not done yet.
 *
 * <p>Thread-safe: one atomic counter per region, each on a cache line of its own.
 */
public final class RangeClaims {
  /** Ints between two regions' counters: 64 bytes, so no two share a cache line. */
  private static final int PAD = 16;

  private final int extent;
  private final int regions;
  private final int group;
  /** Per region, how far into the region groups have been claimed (at {@code r * PAD}). */
  private final AtomicIntegerArray claimed;

  /**
   * @param extent the range {@code [0, extent)} to hand out
   * @param regions how many threads claim (one region each)
   * @param group how many indices one claim takes at most (a claim never spans two regions)
   */
  public RangeClaims(int extent, int regions, int group) {
    checkArgument(extent >= 0 && regions >= 1 && group >= 1, "extent %s, regions %s, group %s", extent,
        regions, group);
    this.extent = extent;
    this.regions = regions;
    this.group = group;
    this.claimed = new AtomicIntegerArray(regions * PAD);
  }

  /**
   * The next group for the thread whose own region is {@code home}: {@code from << 32 | to},
   * or -1 when every index has been claimed.
   */
  public long claim(int home) {
    for (int i = 0; i < regions; i++) {
      int r = home + i < regions ? home + i : home + i - regions;
      int start = start(r);
      int end = start(r + 1);
      if (start + claimed.get(r * PAD) >= end) {
        // Exhausted: not incremented again, so the counters stay within the range.
        continue;
      }
      int from = start + claimed.getAndAdd(r * PAD, group);
      if (from < end) {
        return (long) from << 32 | Math.min(end, from + group);
      }
    }
    return -1;
  }

  /** The first index of region {@code r} (the extent for {@code r == regions}). */
  private int start(int r) {
    return (int) ((long) extent * r / regions);
  }
}
