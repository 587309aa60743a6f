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

  /**
   * Times several engines in turns: all warm up, then each timed round runs each engine once. A
   * change in the machine's load then falls on all of them alike, not on whichever ran last.
   */
  static java.util.List<LatencyStats> measureInterleaved(java.util.List<? extends EngineRunner> runners,
      int warmup, int runs) throws Exception {
    return measureInterleaved(runners, warmup, 0, runs);
  }

  /**
   * As above, each engine warming up for at least {@code warmup} runs and {@code warmupNanos}:
   * generated code needs many runs before the JIT's optimizing compiler has compiled it, and a
   * count alone would time the interpreter on one level and C2 on the other.
   */
  static java.util.List<LatencyStats> measureInterleaved(java.util.List<? extends EngineRunner> runners,
      int warmup, long warmupNanos, int runs) throws Exception {
    for (EngineRunner r : runners) {
      long warmupStart = System.nanoTime();
      for (int i = 0; i < warmup || System.nanoTime() - warmupStart < warmupNanos; i++) {
        r.runOnce();
      }
    }
    long[][] samples = new long[runners.size()][runs];
    for (int i = 0; i < runs; i++) {
      for (int k = 0; k < runners.size(); k++) {
        long start = System.nanoTime();
        runners.get(k).runOnce();
        samples[k][i] = System.nanoTime() - start;
      }
    }
    java.util.List<LatencyStats> stats = new java.util.ArrayList<>();
    for (long[] s : samples) {
      stats.add(LatencyStats.of(s));
    }
    return stats;
  }
}
