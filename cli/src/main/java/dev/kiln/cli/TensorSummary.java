package dev.kiln.cli;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Shape;
import java.util.Locale;

/** {@code y: f32[1, 10] min -1.2 max 3.4 mean 0.12 [0.5, -0.1, ...]} */
final class TensorSummary {
  private TensorSummary() {}

  static String describe(String name, Tensor t) {
    StringBuilder sb = new StringBuilder(name).append(": ")
        .append(t.dtype().text()).append(Shape.of(t.shape()));
    if (t.size() == 0) {
      return sb.append(" (empty)").toString();
    }
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    long nans = 0;
    for (long i = 0; i < t.size(); i++) {
      double v = t.getDouble(i);
      if (Double.isNaN(v)) {
        nans++;
        continue;
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    long counted = t.size() - nans;
    sb.append(String.format(Locale.ROOT, " min %s max %s mean %s", fmt(min), fmt(max),
        counted == 0 ? "nan" : fmt(sum / counted)));
    if (nans > 0) {
      sb.append(" nan-count ").append(nans);
    }
    sb.append(" [");
    long shown = Math.min(t.size(), 6);
    for (long i = 0; i < shown; i++) {
      sb.append(i == 0 ? "" : ", ").append(
          t.dtype().isFloating() ? fmt(t.getDouble(i)) : Long.toString(t.getLong(i)));
    }
    return sb.append(t.size() > shown ? ", ...]" : "]").toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }
}
