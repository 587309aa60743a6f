package dev.kiln.bench;

/** Times an engine: untimed warm-up runs, then each timed run on its own. */
final class Timing {
  private Timing() {}

  static LatencyStats measure(EngineRunner runner, int warmup, int runs) throws Exception {
    for (int i = 0; i < warmup; i++) {
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
