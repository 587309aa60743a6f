package dev.kiln.bench;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One model at a low and a high optimization level ({@code -O0} and {@code -O3} by default): the
 * figures of each, and whether the high level's outputs agree with the low level's (the same
 * inputs; the passes must not change the results).
 *
 * @param agreements the high level's outputs against the low level's, by output name
 * @param agreementProblem why the outputs were not compared, or did not match in name or shape
 */
record LevelComparison(String model, String inputSource, LevelFigures low, LevelFigures high,
    List<Agreement> agreements, Optional<String> agreementProblem) {

  LevelComparison {
    agreements = List.copyOf(agreements);
  }

  /** The low level's median over the high level's: how many times faster the high level runs. */
  OptionalDouble speedup() {
    if (low.latency().isEmpty() || high.latency().isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(low.latency().get().medianNanos() / high.latency().get().medianNanos());
  }

  /** The largest relative error of any output (NaN when not compared). */
  double worstRelativeError() {
    if (agreementProblem.isPresent() || agreements.isEmpty()) {
      return Double.NaN;
    }
    double worst = 0;
    for (Agreement a : agreements) {
      double e = a.relativeError();
      worst = Double.isNaN(e) ? Double.NaN : Math.max(worst, e);
    }
    return worst;
  }

  /** Both levels ran and every output agrees within {@code tolerance}. */
  boolean succeeded(double tolerance) {
    return low.failure().isEmpty() && high.failure().isEmpty() && agreementProblem.isEmpty()
        && agreements.stream().allMatch(a -> a.agrees(tolerance));
  }
}
