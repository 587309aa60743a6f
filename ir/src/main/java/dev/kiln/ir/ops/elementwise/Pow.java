package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX Pow: {@code base ^ exponent} with broadcasting. Base and exponent may have different
 * element types; the output has the base's. Integer to integer powers are exact (wrapping like
 * repeated multiplication); a negative integer exponent truncates {@code 1 / base^-e} toward zero,
 * and {@code 0} to a negative integer power is an error. Everything else is {@link Math#pow} in
 * double, stored like a cast to the base's type.
 */
final class Pow extends OpSchema {
  Pow() {
    super("Pow", 2, 2, 1, 1, List.of());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType base = ElementTypes.NUMERIC.require(ctx, 0);
    ElementTypes.NUMERIC.require(ctx, 1);
    return List.of(new TensorType(base.dtype(), Broadcasting.inferShape(ctx, 0, 1)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Broadcasting.asInference(ctx));
    Tensor base = ctx.input(0);
    Tensor exponent = ctx.input(1);
    DType b = base.dtype();
    DType e = exponent.dtype();
    boolean exact = !b.isFloating() && !e.isFloating();
    boolean signedExponent = e.isSigned();
    Tensor out =
        Broadcasting.map(
            List.of(base, exponent),
            b,
            (w, o, idx) -> {
              if (exact) {
                long n = exponent.getLong(idx[1]);
                w.setLong(o, integerPower(base.getLong(idx[0]), n, signedExponent));
              } else {
                w.setDouble(o, Math.pow(base.getDouble(idx[0]), exponent.getDouble(idx[1])));
              }
            });
    return List.of(out);
  }

  /** {@code x^n} by squaring; {@code n} is read as unsigned when its type is unsigned. */
  static long integerPower(long x, long n, boolean exponentSigned) {
    if (exponentSigned && n < 0) {
      if (x == 0) {
        throw new ArithmeticException("integer 0 raised to the negative power " + n);
      }
      if (x == 1) {
        return 1;
      }
      if (x == -1) {
        return (n & 1) == 0 ? 1 : -1;
      }
      return 0; // |1 / x^-n| < 1 truncates to 0
    }
    long result = 1;
    long square = x;
    for (long rest = n; rest != 0; rest >>>= 1) {
      if ((rest & 1) != 0) {
        result *= square;
      }
      square *= square;
    }
    return result;
  }
}
