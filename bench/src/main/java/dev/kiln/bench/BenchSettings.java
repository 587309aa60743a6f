package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.api.ModelOptions;
import dev.kiln.runtime.compiled.WarmUp;

/**
 * How a model is benchmarked.
 *
 * @param threads intra-op threads of both engines (Kiln's parallel loops, ONNX Runtime's intra-op
 *     pool)
 * @param warmup untimed runs of each engine before the timed ones, at least (unless the cap
 *     comes first)
 * @param warmupSeconds the warm-up lasts at least this long, whatever {@code warmup} says
 * @param maxWarmupSeconds past the least runs and time, the warm-up goes on until the timings
 *     settle ({@link WarmUp}: run times no longer improving, the JIT quiet), for at most this
 *     long in all: on 2 threads HotSpot's C2 compiled ResNet-18's kernels for tens of seconds.
 *     Equal to {@code warmupSeconds}, the warm-up is a fixed one
 * @param runs timed runs of each engine
 * @param engine Kiln's engine
 * @param seed seed of the random inputs (when the model has no stored input)
 * @param tolerance the largest relative error (of the output's largest magnitude) at which the
 *     outputs still agree
 * @param optimizationLevel Kiln's {@code -O} level against ONNX Runtime (whose graph optimization
 *     level is ALL): 3 by default, so that both sides fuse
 */
public record BenchSettings(int threads, int warmup, double warmupSeconds, double maxWarmupSeconds,
    int runs, ModelOptions.Engine engine, long seed, double tolerance, int optimizationLevel) {
  /** The cap of a warm-up when the command line gives none (or {@code --warmup-seconds} if longer). */
  static final double DEFAULT_MAX_WARMUP_SECONDS = 60;
  static final double MOST_SECONDS = 3600;

  public BenchSettings {
    checkArgument(threads >= 1, "--threads must be at least 1, got %s", threads);
    checkArgument(warmup >= 0, "--warmup must be 0 or more, got %s", warmup);
    checkArgument(warmupSeconds >= 0 && warmupSeconds <= MOST_SECONDS,
        "--warmup-seconds must be between 0 and 3600, got %s", warmupSeconds);
    checkArgument(maxWarmupSeconds >= 0 && maxWarmupSeconds <= MOST_SECONDS,
        "--max-warmup-seconds must be between 0 and 3600, got %s", maxWarmupSeconds);
    checkArgument(maxWarmupSeconds >= warmupSeconds,
        "--max-warmup-seconds (%s) must be at least --warmup-seconds (%s): the cap of the warm-up "
            + "cannot be shorter than its least time", maxWarmupSeconds, warmupSeconds);
    checkArgument(runs >= 1, "--runs must be at least 1, got %s", runs);
    checkArgument(tolerance >= 0 && !Double.isNaN(tolerance), "--tolerance must be 0 or more, got %s",
        tolerance);
    checkArgument(optimizationLevel >= 0 && optimizationLevel <= 3,
        "-O takes a level from 0 to 3, got %s", optimizationLevel);
  }

  ModelOptions kilnOptions() {
    return ModelOptions.defaults().withEngine(engine).withThreads(threads)
        .withOptimizationLevel(optimizationLevel);
  }

  /** Warms {@code run} up as these settings say. */
  WarmUp warmUp(Runnable run) {
    return WarmUp.run(run, warmup, nanos(warmupSeconds), nanos(maxWarmupSeconds));
  }

  /** Whether the warm-up is a fixed one (no settling past the least runs and time). */
  boolean fixedWarmUp() {
    return maxWarmupSeconds == warmupSeconds;
  }

  private static long nanos(double seconds) {
    return Math.round(seconds * 1e9);
  }
}
