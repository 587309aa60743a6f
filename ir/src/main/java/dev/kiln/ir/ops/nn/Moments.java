package dev.kiln.ir.ops.nn;

import dev.kiln.ir.tensor.Tensor;

/**
 * The mean and {@code 1 / sqrt(variance + epsilon)} of {@code n} contiguous elements of a tensor:
 * what LayerNormalization normalizes a row with, and InstanceNormalization an image plane. Two
 * passes in f64, the population variance.
 */
record Moments(double mean, double invStdDev) {
  static Moments of(Tensor x, long base, long n, double epsilon) {
    double sum = 0;
    for (long i = 0; i < n; i++) {
      sum += x.getDouble(base + i);
    }
    double mean = sum / n;
    double squares = 0;
    for (long i = 0; i < n; i++) {
      double d = x.getDouble(base + i) - mean;
      squares += d * d;
    }
    return new Moments(mean, 1 / Math.sqrt(squares / n + epsilon));
  }

  /** {@code v} normalized: {@code (v - mean) / sqrt(variance + epsilon)}. */
  double normalize(double v) {
    return (v - mean) * invStdDev;
  }
}
