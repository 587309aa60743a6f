package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * What a warm-up did: runs a model until its run time stops improving and the JIT has stopped
 * compiling, so that the optimizing compiler has compiled its generated kernels before the first
 * run that counts. The one settle rule of Kiln: {@code Model.warmUp} and {@code kiln bench} (for
 * Kiln and ONNX Runtime alike) both use it.
 *
 * <p>Why a model needs one: a kernel is a method called once per run, so HotSpot compiles it
 * with C2 only after thousands of runs, or earlier through on-stack replacement of its loops;
 * until then it runs interpreted or as C1 code, several times slower (a ResNet 3x3 layer ran 4x
 * faster after 150 runs than after 20). And while C2 compiles, its thread takes a core: on 2
 * threads ResNet-18 took 24.5 to 27.5 ms after 5 s of runs, 12.9 ms after 30 s. A service that
 * loads a model and answers requests at once would serve its first seconds of requests slow.
 *
 * <p>When it stops: runs go in windows of at least {@link #WINDOW_RUNS} runs and
 * {@link #WINDOW_NANOS}. A window is steady when neither its fastest run is more than 2 % below
 * the fastest of the windows before it nor its median more than 5 % below theirs (the fastest
 * because a busy machine adds preemptions to single runs but cannot make a run faster; the median
 * because it is what a benchmark reports, with more room as it is noisier), and the JIT compiled
 * for at most 1 % of the window's time or 1 ms (the JVM's total compilation time, all compiler threads:
 * C2 on another core can leave the fastest run flat while it slows the others). The warm-up is
 * settled once it has made at least {@code minRuns} runs, lasted at least {@code minNanos} and
 * the last {@link #STEADY_WINDOWS} windows were steady. Or it stops when the time cap is spent,
 * whatever the least runs and time say.
 *
 * @param runs how many runs it made, the first included
 * @param nanos how long it took
 * @param firstRunNanos the first run (with compiling the code, for the compiled engine)
 * @param bestRunNanos the fastest run of the last window: the steady-state run time it reached
 * @param medianRunNanos the median run of the last window
 * @param compileMillis the JIT's compilation time during the warm-up (all compiler threads), -1
 *     when the JVM does not measure it
 * @param settled whether the run time stopped improving and the JIT went quiet within the cap
 */
public record WarmUp(int runs, long nanos, long firstRunNanos, long bestRunNanos, long medianRunNanos,
    long compileMillis, boolean settled) {
  /** The runs a warm-up makes at least, by default. */
  public static final int DEFAULT_MIN_RUNS = 50;
  /** The time a warm-up takes at most, by default. */
  public static final long DEFAULT_MAX_NANOS = 10_000_000_000L;
  static final int WINDOW_RUNS = 10;
  static final long WINDOW_NANOS = 50_000_000L;
  static final int STEADY_WINDOWS = 3;
  /** A window's fastest run improves on the fastest before when below this share of it. */
  static final double FASTEST_IMPROVEMENT = 0.98;
  /** A window's median improves on the medians before when below this share of the best. */
  static final double MEDIAN_IMPROVEMENT = 0.95;
  /** The JIT is quiet in a window when it compiled for at most this share of the window's time. */
  static final double QUIET_COMPILE_SHARE = 0.01;
  private static final CompilationMXBean COMPILER = ManagementFactory.getCompilationMXBean();

  /**
   * Runs {@code run} until settled or {@code maxNanos} have passed (it makes at least one run,
   * and finishes the run in progress when the cap is reached), with no least time.
   *
   * @throws IllegalArgumentException when {@code minRuns} or {@code maxNanos} is negative
   */
  public static WarmUp run(Runnable run, int minRuns, long maxNanos) {
    return run(run, minRuns, 0, maxNanos);
  }

  /**
   * Runs {@code run} until settled, which takes at least {@code minRuns} runs and
   * {@code minNanos}, or until {@code maxNanos} have passed (it makes at least one run, and
   * finishes the run in progress when the cap is reached).
   *
   * @throws IllegalArgumentException when an argument is negative or {@code minNanos} exceeds
   *     {@code maxNanos}
   */
  public static WarmUp run(Runnable run, int minRuns, long minNanos, long maxNanos) {
    return run(run, minRuns, minNanos, maxNanos, System::nanoTime,
        () -> jitCompileMillis().orElse(-1));
  }

  /**
   * The rule itself, on a given clock and JIT meter (tests give synthetic ones).
   *
   * @param clock nanoseconds, as {@link System#nanoTime}
   * @param compileMillis the JIT's total compilation time so far; negative when unknown, and then
   *     the JIT counts as quiet
   */
  static WarmUp run(Runnable run, int minRuns, long minNanos, long maxNanos, LongSupplier clock,
      LongSupplier compileMillis) {
    checkArgument(minRuns >= 0, "a warm-up's least number of runs must be >= 0, got %s", minRuns);
    checkArgument(maxNanos >= 0, "a warm-up's time budget must be >= 0 ns, got %s", maxNanos);
    checkArgument(minNanos >= 0 && minNanos <= maxNanos,
        "a warm-up's least time must be from 0 to its budget (%s ns), got %s ns", maxNanos, minNanos);
    long compileStart = compileMillis.getAsLong();
    long start = clock.getAsLong();
    long first = timed(run, clock);
    int runs = 1;
    long fastestBefore = first;
    // The first run, which may include compiling, bounds the fastest; a median needs a window.
    long medianBefore = Long.MAX_VALUE;
    long windowFastest = first;
    long windowMedian = first;
    int steady = 0;
    boolean settled = false;
    long[] window = new long[WINDOW_RUNS];
    while (clock.getAsLong() - start < maxNanos) {
      long windowStart = clock.getAsLong();
      long windowCompileStart = compileMillis.getAsLong();
      int n = 0;
      for (int i = 0; i < WINDOW_RUNS || clock.getAsLong() - windowStart < WINDOW_NANOS; i++) {
        if (n == window.length) {
          window = Arrays.copyOf(window, 2 * n);
        }
        window[n++] = timed(run, clock);
        runs++;
        if (clock.getAsLong() - start >= maxNanos) {
          break;
        }
      }
      long windowNanos = clock.getAsLong() - windowStart;
      long[] sorted = Arrays.copyOf(window, n);
      Arrays.sort(sorted);
      windowFastest = sorted[0];
      windowMedian = sorted[n / 2];
      boolean improved = windowFastest < FASTEST_IMPROVEMENT * fastestBefore
          || windowMedian < MEDIAN_IMPROVEMENT * medianBefore;
      boolean jitQuiet = windowCompileStart < 0
          || jitQuiet(compileMillis.getAsLong() - windowCompileStart, windowNanos);
      steady = !improved && jitQuiet ? steady + 1 : 0;
      fastestBefore = Math.min(fastestBefore, windowFastest);
      medianBefore = Math.min(medianBefore, windowMedian);
      if (steady >= STEADY_WINDOWS && runs >= minRuns && clock.getAsLong() - start >= minNanos) {
        settled = true;
        break;
      }
    }
    long nanos = clock.getAsLong() - start;
    long compiled = compileStart < 0 ? -1 : compileMillis.getAsLong() - compileStart;
    return new WarmUp(runs, nanos, first, windowFastest, windowMedian, compiled, settled);
  }

  /**
   * Whether the JIT was quiet while {@code compileMillis} of compiling happened in {@code nanos}:
   * at most 1 % of that time, or 1 ms (the resolution of the JVM's figure; a stray compilation of
   * a small method, such as the caller's own timing loop, is not C2 catching up on kernels).
   */
  public static boolean jitQuiet(long compileMillis, double nanos) {
    return compileMillis <= 1 || compileMillis * 1e6 <= QUIET_COMPILE_SHARE * nanos;
  }

  /**
   * The JVM's total JIT compilation time so far, in milliseconds (all compiler threads, from
   * {@link CompilationMXBean}); empty when the JVM has no JIT or does not measure it.
   */
  public static OptionalLong jitCompileMillis() {
    return COMPILER != null && COMPILER.isCompilationTimeMonitoringSupported()
        ? OptionalLong.of(COMPILER.getTotalCompilationTime()) : OptionalLong.empty();
  }

  private static long timed(Runnable run, LongSupplier clock) {
    long start = clock.getAsLong();
    run.run();
    return clock.getAsLong() - start;
  }

  /**
   * One line for logs and the CLI: {@code warm-up: 212 runs in 3.1 s (first 950.1 ms), settled at
   * 1.250 ms per run (median 1.262), JIT 1840 ms}.
   */
  public String describe() {
    return String.format(java.util.Locale.ROOT,
        "warm-up: %d runs in %.1f s (first %.1f ms), %s at %.3f ms per run (median %.3f)%s",
        runs, nanos / 1e9, firstRunNanos / 1e6, settled ? "settled" : "not settled within the budget; fastest",
        bestRunNanos / 1e6, medianRunNanos / 1e6, compileMillis < 0 ? "" : ", JIT " + compileMillis + " ms");
  }
}
