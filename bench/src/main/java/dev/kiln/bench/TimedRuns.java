package dev.kiln.bench;

import dev.kiln.runtime.compiled.WarmUp;

/**
 * How one engine was timed: its warm-up, its timed runs, and how long the JIT compiled during
 * them (the whole JVM's compiler threads: on a 2-core machine, time a compiler thread takes from
 * the engine's threads).
 *
 * @param compileMillis the JIT's compilation time during the timed runs, -1 when the JVM does not
 *     measure it
 */
public record TimedRuns(WarmUp warmUp, LatencyStats latency, long compileMillis) {
  /**
   * Whether the figures may not be steady-state: the warm-up reached its cap before the timings
   * settled, or the JIT compiled for more than 1 % of the timed runs' time.
   */
  public boolean unsteady(boolean fixedWarmUp) {
    return (!fixedWarmUp && !warmUp.settled()) || jitBusy();
  }

  /** Whether the JIT compiled for more than 1 % of the timed runs' time and more than 1 ms. */
  public boolean jitBusy() {
    return compileMillis >= 0 && !WarmUp.jitQuiet(compileMillis, latency.runs() * latency.medianNanos());
  }
}
