package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.api.ModelOptions;

/**
 * How a model is benchmarked.
 *
 * @param threads intra-op threads of both engines (Kiln's parallel loops, ONNX Runtime's intra-op
 *     pool)
 * @param warmup untimed runs of each engine before the timed ones, at least
 * @param warmupSeconds the warm-up lasts at least this long, whatever {@code warmup} says: Kiln's
 *     generated code reaches C2 only after many calls (a 3×3 conv layer needed ~100)
 * @param runs timed runs of each engine
 * @param engine Kiln's engine
 * @param seed seed of the random inputs (when the model has no stored input)
 * @param tolerance the largest relative error (of the output's largest magnitude) at which the
 *     outputs still agree
 * @param optimizationLevel Kiln's {@code -O} level against ONNX Runtime (whose graph optimization
 *     level is ALL): 3 by default, so that both sides fuse
 */
public record BenchSettings(int threads, int warmup, double warmupSeconds, int runs,
    ModelOptions.Engine engine, long seed, double tolerance, int optimizationLevel) {

  public BenchSettings(int threads, int warmup, double warmupSeconds, int runs,
      ModelOptions.Engine engine, long seed, double tolerance) {
    this(threads, warmup, warmupSeconds, runs, engine, seed, tolerance, 3);
  }

  public BenchSettings {
    checkArgument(threads >= 1, "--threads must be at least 1, got %s", threads);
    checkArgument(warmup >= 0, "--warmup must be 0 or more, got %s", warmup);
    checkArgument(warmupSeconds >= 0 && warmupSeconds <= 3600,
        "--warmup-seconds must be between 0 and 3600, got %s", warmupSeconds);
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
}
