package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * What a warm-up did: runs a model until its run time stops improving, so that the JIT has
 * compiled its generated kernels with the optimizing compiler before the first run that counts.
 *
 * <p>Why a model needs one: a kernel is a method called once per run, so HotSpot compiles it
 * with C2 only after thousands of runs, or earlier through on-stack replacement of its loops;
 * until then it runs interpreted or as C1 code, several times slower (a ResNet 3x3 layer ran 4x
 * faster after 150 runs than after 20). A service that loads a model and answers requests at once
 * would serve its first seconds of requests slow.
 *
 * <p>When it stops: runs go in windows of at least {@link #WINDOW_RUNS} runs and
 * {@link #WINDOW_NANOS}; the warm-up is settled once it has done at least {@code minRuns} runs
 * and the fastest run of each of the last {@link #STEADY_WINDOWS} windows was no better than
 * 2 % below the fastest before them (the fastest, not the mean, because a busy machine adds
 * preemptions to single runs but cannot make a run faster). Or when the time budget is spent.
 *
 * @param runs how many runs it made, the first included
 * @param nanos how long it took
 * @param firstRunNanos the first run (with compiling the code, for the compiled engine)
 * @param bestRunNanos the fastest run of the last window: the steady-state run time it reached
 * @param settled whether the run time stopped improving within the budget
 */
public record WarmUp(int runs, long nanos, long firstRunNanos, long bestRunNanos, boolean settled) {
  /** The runs a warm-up makes at least, by default. */
  public static final int DEFAULT_MIN_RUNS = 50;
  /** The time a warm-up takes at most, by default. */
  public static final long DEFAULT_MAX_NANOS = 10_000_000_000L;
  static final int WINDOW_RUNS = 10;
  static final long WINDOW_NANOS = 50_000_000L;
  static final int STEADY_WINDOWS = 3;
  private static final double IMPROVEMENT = 0.98;

  /**
   * Runs {@code run} until settled or {@code maxNanos} have passed (it makes at least one run,
   * and finishes the run in progress when the budget runs out).
   *
   * @throws IllegalArgumentException when {@code minRuns} or {@code maxNanos} is negative
   */
  public static WarmUp run(Runnable run, int minRuns, long maxNanos) {
    checkArgument(minRuns >= 0, "a warm-up's least number of runs must be >= 0, got %s", minRuns);
    checkArgument(maxNanos >= 0, "a warm-up's time budget must be >= 0 ns, got %s", maxNanos);
    long start = System.nanoTime();
    long first = timed(run);
    int runs = 1;
    long bestBefore = first;
    int steady = 0;
    long windowBest = first;
    boolean settled = false;
    while (System.nanoTime() - start < maxNanos) {
      long windowStart = System.nanoTime();
      windowBest = Long.MAX_VALUE;
      for (int i = 0; i < WINDOW_RUNS || System.nanoTime() - windowStart < WINDOW_NANOS; i++) {
        windowBest = Math.min(windowBest, timed(run));
        runs++;
        if (System.nanoTime() - start >= maxNanos) {
          break;
        }
      }
      steady = windowBest >= IMPROVEMENT * bestBefore ? steady + 1 : 0;
      bestBefore = Math.min(bestBefore, windowBest);
      if (runs >= minRuns && steady >= STEADY_WINDOWS) {
        settled = true;
        break;
      }
    }
    return new WarmUp(runs, System.nanoTime() - start, first, windowBest, settled);
  }

  private static long timed(Runnable run) {
    long start = System.nanoTime();
    run.run();
    return System.nanoTime() - start;
  }

  /** One line for logs and the CLI: {@code warm-up: 212 runs in 3.1 s, settled at 1.25 ms per run}. */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "warm-up: %d runs in %.1f s (first %.1f ms), %s at %.3f ms per run",
        runs, nanos / 1e9, firstRunNanos / 1e6, settled ? "settled" : "not settled within the budget; fastest",
        bestRunNanos / 1e6);
  }
}
