package dev.kiln.bench;

import java.util.Optional;

/**
 * One engine's part of a benchmark: how it was timed, or why it could not run.
 *
 * @param firstRunMillis the first run, which for Kiln includes generating and compiling the code
 */
public record EngineResult(String engine, Optional<TimedRuns> timed, double firstRunMillis,
    Optional<String> failure) {

  static EngineResult failed(String engine, String why) {
    return new EngineResult(engine, Optional.empty(), Double.NaN, Optional.of(why));
  }

  static EngineResult ran(String engine, TimedRuns timed, double firstRunMillis) {
    return new EngineResult(engine, Optional.of(timed), firstRunMillis, Optional.empty());
  }

  /** The timed runs' latencies, when it ran. */
  public Optional<LatencyStats> latency() {
    return timed.map(TimedRuns::latency);
  }

  public boolean succeeded() {
    return timed.isPresent();
  }
}
