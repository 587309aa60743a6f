package dev.kiln.ir.loop;

import dev.kiln.ir.ops.elementwise.SpecialMath;

/**
 * The meaning of each {@link Intrinsic}, in one place: the function computed in double precision
 * on the (exactly representable) arguments; the caller rounds the result to the expression's
 * type. The loop-IR interpreter calls this; generated scalar code calls the same functions.
 */
public final class IntrinsicMath {
  private IntrinsicMath() {}

  public static double apply(Intrinsic fn, double a) {
    return switch (fn) {
      case EXP -> Math.exp(a);
      case LOG -> Math.log(a);
      case SQRT -> Math.sqrt(a);
      case TANH -> Math.tanh(a);
      case ERF -> SpecialMath.erf(a);
      case SIGMOID -> sigmoid(a);
      case SIN -> Math.sin(a);
      case COS -> Math.cos(a);
      case TAN -> Math.tan(a);
      case ASIN -> Math.asin(a);
      case ACOS -> Math.acos(a);
      case ATAN -> Math.atan(a);
      case SINH -> Math.sinh(a);
      case COSH -> Math.cosh(a);
      case ASINH -> SpecialMath.asinh(a);
      case ACOSH -> SpecialMath.acosh(a);
      case ATANH -> SpecialMath.atanh(a);
      case FLOOR -> Math.floor(a);
      case CEIL -> Math.ceil(a);
      case ROUND_EVEN -> Math.rint(a);
      case ABS -> Math.abs(a);
      case IS_NAN -> Double.isNaN(a) ? 1.0 : 0.0;
      case POW, FMA -> throw new IllegalArgumentException(fn + " takes " + fn.arity() + " arguments");
    };
  }

  public static double apply(Intrinsic fn, double a, double b) {
    if (fn != Intrinsic.POW) {
      throw new IllegalArgumentException(fn + " takes " + fn.arity() + " arguments");
    }
    return Math.pow(a, b);
  }

  public static double apply(Intrinsic fn, double a, double b, double c) {
    if (fn != Intrinsic.FMA) {
      throw new IllegalArgumentException(fn + " takes " + fn.arity() + " arguments");
    }
    return Math.fma(a, b, c);
  }

  /** A logistic sigmoid that neither overflows nor loses precision for large |x|. */
  public static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }
}
