package dev.kiln.bench;

import dev.kiln.api.ModelOptions;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench}'s options that make its {@link BenchSettings} (a picocli mixin of
 * {@link BenchMain}): threads, warm-up, timed runs, Kiln's level and engine, inputs' seed,
 * tolerance.
 */
final class SettingsOptions {
  @Option(names = "--threads", paramLabel = "T", defaultValue = "1",
      description = "Intra-op threads of both engines (default 1).")
  int threads;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "10",
      description = "Untimed runs of each engine first: at least N (default 10)...")
  int warmup;

  @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "2",
      description = "...and at least S seconds of them (default 2), then on until the timings "
          + "settle: run times no longer improving and the JIT no longer compiling (Kiln's "
          + "generated code needs many runs to reach the JIT's optimizing compiler, which then "
          + "compiles on a core the engine's threads want)...")
  double warmupSeconds;

  @Option(names = "--max-warmup-seconds", paramLabel = "M",
      description = "...for at most M seconds in all, even if fewer than N runs were made "
          + "(default 60, or S if larger; M = S makes a fixed warm-up). The report says how long "
          + "each engine warmed up, whether its timings settled, and how long the JIT compiled "
          + "during its timed runs.")
  Double maxWarmupSeconds;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "50",
      description = "Timed runs of each engine (default 50).")
  int runs;

  @Option(names = "-O", paramLabel = "LEVEL", defaultValue = "3",
      description = "Kiln's optimization level against ONNX Runtime (default 3, as ONNX Runtime's "
          + "graph optimizations are ALL): -O0 .. -O3.")
  int optimizationLevel;

  @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "compiled",
      description = "Kiln's engine: compiled (default) or interpreter.")
  EngineName engine;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
      description = "Seed of random inputs (default 0).")
  long seed;

  @Option(names = "--tolerance", paramLabel = "X", defaultValue = "1e-4",
      description = "Largest max-abs error, relative to the output's max |value|, at which the "
          + "outputs agree (default 1e-4).")
  double tolerance;

  /** Kiln's engines by their command-line names (as {@code kiln run --engine}). */
  enum EngineName {
    compiled(ModelOptions.Engine.COMPILED),
    interpreter(ModelOptions.Engine.INTERPRETER);

    final ModelOptions.Engine engine;

    EngineName(ModelOptions.Engine engine) {
      this.engine = engine;
    }
  }

  /**
   * The settings these options give; without {@code --max-warmup-seconds}, the warm-up's cap is
   * {@link BenchSettings#DEFAULT_MAX_WARMUP_SECONDS}, or {@code --warmup-seconds} if larger.
   *
   * @throws IllegalArgumentException when a value is out of range, with a message naming the option
   */
  BenchSettings settings() {
    double cap = maxWarmupSeconds != null ? maxWarmupSeconds
        : Math.max(BenchSettings.DEFAULT_MAX_WARMUP_SECONDS, warmupSeconds);
    return new BenchSettings(threads, warmup, warmupSeconds, cap, runs, engine.engine, seed, tolerance,
        optimizationLevel);
  }
}
