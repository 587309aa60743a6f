package dev.kiln.bench;

import java.util.Optional;

/**
 * One engine's part of a benchmark: its latencies, or why it could not run.
 *
 * @param firstRunMillis the first run, which for Kiln includes generating and compiling the code
 */
public record EngineResult(String engine, Optional<LatencyStats> latency, double firstRunMillis,
    Optional<String> failure) {

  static EngineResult failed(String engine, String why) {
    return new EngineResult(engine, Optional.empty(), Double.NaN, Optional.of(why));
  }

  static EngineResult ran(String engine, LatencyStats latency, double firstRunMillis) {
    return new EngineResult(engine, Optional.of(latency), firstRunMillis, Optional.empty());
  }

  public boolean succeeded() {
    return latency.isPresent();
  }
}
