package dev.kiln.tests.onnx;

import dev.kiln.ir.tensor.Tensor;
import java.util.Arrays;
import java.util.Optional;

/**
 * How ONNX backends compare results: the same dtype and shape; integers and booleans exactly;
 * reals elementwise within {@code |a - b| <= atol + rtol * |b|} ({@code b} the expected), NaN
 * equal to NaN and infinities equal to themselves.
 */
final class TensorComparison {
  static final double RTOL = 1e-3;
  static final double ATOL = 1e-7;

  private TensorComparison() {}

  /** Empty when {@code actual} matches {@code expected}; else what differs. */
  static Optional<String> compare(Tensor actual, Tensor expected, double rtol, double atol) {
    if (actual.dtype() != expected.dtype()) {
      return Optional.of("dtype " + actual.dtype() + ", expected " + expected.dtype());
    }
    if (!Arrays.equals(actual.shape(), expected.shape())) {
      return Optional.of("shape " + Arrays.toString(actual.shape()) + ", expected "
          + Arrays.toString(expected.shape()));
    }
    long mismatches = 0;
    String first = null;
    for (long i = 0; i < expected.size(); i++) {
      boolean ok;
      String a;
      String b;
      if (expected.dtype().isFloating()) {
        double x = actual.getDouble(i);
        double y = expected.getDouble(i);
        ok = (Double.isNaN(x) && Double.isNaN(y)) || x == y
            || Math.abs(x - y) <= atol + rtol * Math.abs(y);
        a = Double.toString(x);
        b = Double.toString(y);
      } else {
        long x = actual.getLong(i);
        long y = expected.getLong(i);
        ok = x == y;
        a = Long.toString(x);
        b = Long.toString(y);
      }
      if (!ok) {
        if (first == null) {
          first = "element " + i + " is " + a + ", expected " + b;
        }
        mismatches++;
      }
    }
    return mismatches == 0 ? Optional.empty()
        : Optional.of(mismatches + " of " + expected.size() + " elements differ; " + first);
  }
}
