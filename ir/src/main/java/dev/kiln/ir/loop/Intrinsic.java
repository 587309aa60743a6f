package dev.kiln.ir.loop;

/**
 * Math functions of loop-IR expressions on real values. Each has one definition in the runtime
 * ({@code dev.kiln.runtime.kernels.KernelMath} where {@code java.lang.Math} has none) that both
 * generated code and the loop-IR interpreter call, so they agree bit for bit.
 */
public enum Intrinsic {
  EXP(1), LOG(1), SQRT(1), TANH(1), ERF(1), SIGMOID(1),
  SIN(1), COS(1), TAN(1), ASIN(1), ACOS(1), ATAN(1),
  SINH(1), COSH(1), ASINH(1), ACOSH(1), ATANH(1),
  FLOOR(1), CEIL(1),
  /** Round half to even, as ONNX {@code Round}. */
  ROUND_EVEN(1),
  ABS(1),
  /** {@code 1.0} when NaN, else {@code 0.0}, in the argument's type. Use with a comparison. */
  IS_NAN(1),
  POW(2),
  /** {@code a * b + c} with one rounding. */
  FMA(3);

  private final int arity;

  Intrinsic(int arity) {
    this.arity = arity;
  }

  public int arity() {
    return arity;
  }

  public String text() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
