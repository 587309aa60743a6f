package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.op.OpException;
import dev.kiln.ir.type.DType;

/**
 * What one reduction computes over a group of elements, in double for floating types and exactly
 * in long for integer types where the result is an integer. The value of an empty group follows
 * ONNX: the identity of the operation (0 for sums, 1 for products, -inf / the type's minimum for
 * max, +inf / the type's maximum for min, -inf for the logarithms).
 */
enum Reducer {
  SUM("ReduceSum", true),
  MEAN("ReduceMean", true),
  MAX("ReduceMax", true),
  MIN("ReduceMin", true),
  PROD("ReduceProd", true),
  L1("ReduceL1", true),
  L2("ReduceL2", false),
  SUM_SQUARE("ReduceSumSquare", true),
  LOG_SUM("ReduceLogSum", false),
  LOG_SUM_EXP("ReduceLogSumExp", false);

  final String opName;

  /** Whether integer inputs reduce exactly in long rather than through double. */
  final boolean exactForIntegers;

  Reducer(String opName, boolean exactForIntegers) {
    this.opName = opName;
    this.exactForIntegers = exactForIntegers;
  }

  double reduce(double[] values) {
    int n = values.length;
    return switch (this) {
      case SUM -> sum(values);
      case MEAN -> sum(values) / n; // 0/0 is NaN for an empty group, as in NumPy
      case MAX -> {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : values) {
          m = Double.isNaN(v) || v > m ? v : m; // NaN propagates, as np.maximum.reduce
          if (Double.isNaN(m)) {
            break;
          }
        }
        yield m;
      }
      case MIN -> {
        double m = Double.POSITIVE_INFINITY;
        for (double v : values) {
          m = Double.isNaN(v) || v < m ? v : m;
          if (Double.isNaN(m)) {
            break;
          }
        }
        yield m;
      }
      case PROD -> {
        double p = 1;
        for (double v : values) {
          p *= v;
        }
        yield p;
      }
      case L1 -> {
        double s = 0;
        for (double v : values) {
          s += Math.abs(v);
        }
        yield s;
      }
      case L2 -> Math.sqrt(SUM_SQUARE.reduce(values));
      case SUM_SQUARE -> {
        double s = 0;
        for (double v : values) {
          s += v * v;
        }
        yield s;
      }
      case LOG_SUM -> Math.log(sum(values));
      case LOG_SUM_EXP -> {
        // Shift by the maximum so that large inputs do not overflow exp. An empty group or one
        // of only -inf gives -inf; a +inf or NaN element decides the result by itself.
        double m = MAX.reduce(values);
        if (Double.isInfinite(m) || Double.isNaN(m)) {
          yield m;
        }
        double s = 0;
        for (double v : values) {
          s += Math.exp(v - m);
        }
        yield m + Math.log(s);
      }
    };
  }

  /** The exact integer reduction; only for reducers with {@link #exactForIntegers}. */
  long reduce(long[] values, DType dtype) {
    boolean unsigned = !dtype.isSigned();
    return switch (this) {
      case SUM -> {
        long s = 0;
        for (long v : values) {
          s += v;
        }
        yield s;
      }
      case MEAN -> {
        if (values.length == 0) {
          throw OpException.of(
              "ReduceMean of an empty set of %s elements is undefined (it would divide by 0)",
              dtype);
        }
        long s = SUM.reduce(values, dtype);
        yield unsigned ? Long.divideUnsigned(s, values.length) : s / values.length;
      }
      case MAX -> {
        long m = dtype.minValue();
        for (long v : values) {
          m = compare(v, m, unsigned) > 0 ? v : m;
        }
        yield m;
      }
      case MIN -> {
        long m = dtype.maxValue();
        for (long v : values) {
          m = compare(v, m, unsigned) < 0 ? v : m;
        }
        yield m;
      }
      case PROD -> {
        long p = 1;
        for (long v : values) {
          p *= v;
        }
        yield p;
      }
      case L1 -> {
        long s = 0;
        for (long v : values) {
          s += unsigned ? v : Math.abs(v);
        }
        yield s;
      }
      case SUM_SQUARE -> {
        long s = 0;
        for (long v : values) {
          s += v * v;
        }
        yield s;
      }
      case L2, LOG_SUM, LOG_SUM_EXP -> throw new IllegalStateException(opName + " is not exact");
    };
  }

  private static double sum(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }

  static int compare(long a, long b, boolean unsigned) {
    return unsigned ? Long.compareUnsigned(a, b) : Long.compare(a, b);
  }

}
