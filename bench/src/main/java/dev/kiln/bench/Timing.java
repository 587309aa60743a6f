package dev.kiln.bench;

/**
 * Times an engine: untimed warm-up runs (at least {@code warmup} of them, for at least
 * {@code warmupNanos}), then each timed run on its own.
 */
final class Timing {
  private Timing() {}

  static LatencyStats measure(EngineRunner runner, int warmup, long warmupNanos, int runs)
      throws Exception {
    long warmupStart = System.nanoTime();
    for (int i = 0; i < warmup || System.nanoTime() - warmupStart < warmupNanos; i++) {
      runner.runOnce();
    }
    long[] samples = new long[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      runner.runOnce();
      samples[i] = System.nanoTime() - start;
    }
    return LatencyStats.of(samples);
  }
}
