package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;

/**
 * The distribution of timed runs: median, 10th and 90th percentiles, in nanoseconds.
 *
 * <p>The median is the middle sample (the mean of the two middle ones for an even count); the
 * percentiles are by linear interpolation between the closest ranks, as NumPy's default.
 */
public record LatencyStats(int runs, double medianNanos, double p10Nanos, double p90Nanos) {

  public static LatencyStats of(long[] samplesNanos) {
    checkArgument(samplesNanos.length > 0, "no timed runs");
    long[] sorted = samplesNanos.clone();
    Arrays.sort(sorted);
    return new LatencyStats(sorted.length, percentile(sorted, 50), percentile(sorted, 10),
        percentile(sorted, 90));
  }

  /** The {@code p}-th percentile (0 to 100) of sorted samples, interpolated between ranks. */
  static double percentile(long[] sorted, double p) {
    double rank = p / 100.0 * (sorted.length - 1);
    int below = (int) Math.floor(rank);
    int above = Math.min(below + 1, sorted.length - 1);
    double fraction = rank - below;
    return sorted[below] + fraction * (sorted[above] - sorted[below]);
  }

  public double medianMillis() {
    return medianNanos / 1e6;
  }

  public double p10Millis() {
    return p10Nanos / 1e6;
  }

  public double p90Millis() {
    return p90Nanos / 1e6;
  }
}
