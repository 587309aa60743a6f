package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.util.Arrays;
import java.util.List;

/**
 * The output of a scatter: a copy of the data that updates overwrite (reduction {@code none},
 * bit-exact for every dtype) or are combined into ({@code add}, {@code mul}, {@code max},
 * {@code min}: reals in double, integers in long, rounded to the dtype once at the end).
 */
final class ScatterBuffer {
  private static final List<String> REDUCTIONS = List.of("none", "add", "mul", "max", "min");

  private final Tensor data;
  private final String reduction;
  /** For {@code none}: which update element each output element holds, -1 for the data's own. */
  private final long[] source;
  private final double[] reals;
  private final long[] ints;
  private Tensor updates;

  ScatterBuffer(Tensor data, String reduction) {
    this.data = data;
    this.reduction = reduction;
    int n = Math.toIntExact(data.size());
    boolean none = reduction.equals("none");
    this.source = none ? filled(n) : null;
    this.reals = !none && data.dtype().isFloating() ? data.toDoubleArray() : null;
    this.ints = !none && !data.dtype().isFloating() ? data.toLongArray() : null;
  }

  private static long[] filled(int n) {
    long[] a = new long[n];
    Arrays.fill(a, -1);
    return a;
  }

  /** The {@code reduction} attribute, checked against the element type. */
  static String reduction(InferenceContext ctx, DType dtype) {
    String r = ctx.attrs().getString("reduction", "none");
    if (!REDUCTIONS.contains(r)) {
      throw OpException.of("attribute 'reduction' must be one of %s, got '%s'", REDUCTIONS, r);
    }
    if (!r.equals("none") && dtype == DType.BOOL) {
      throw OpException.of("attribute 'reduction' = '%s' needs numeric data, got bool", r);
    }
    return r;
  }

  /** Applies element {@code from} of {@code updates} to output element {@code to}. */
  void put(long to, Tensor updates, long from) {
    this.updates = updates;
    int i = Math.toIntExact(to);
    if (source != null) {
      source[i] = from;
    } else if (reals != null) {
      reals[i] = combine(reals[i], updates.getDouble(from));
    } else {
      ints[i] = combine(ints[i], updates.getLong(from));
    }
  }

  private double combine(double a, double b) {
    return switch (reduction) {
      case "add" -> a + b;
      case "mul" -> a * b;
      case "max" -> Math.max(a, b);
      default -> Math.min(a, b);
    };
  }

  private long combine(long a, long b) {
    return switch (reduction) {
      case "add" -> a + b;
      case "mul" -> a * b;
      case "max" -> Math.max(a, b);
      default -> Math.min(a, b);
    };
  }

  Tensor build() {
    TensorWriter w = TensorWriter.of(data.dtype(), data.shape());
    for (int i = 0; i < data.size(); i++) {
      if (source != null) {
        w.copyElement(source[i] < 0 ? data : updates, source[i] < 0 ? i : source[i], i);
      } else if (reals != null) {
        w.setDouble(i, reals[i]);
      } else {
        w.setLong(i, ints[i]);
      }
    }
    return w.build();
  }
}
