package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX Clip (opset 11 and later): {@code min(max(x, lo), hi)} where {@code lo} and {@code hi}
 * are optional scalar inputs 1 and 2 of x's type (absent means unbounded). When
 * {@code lo > hi} every element becomes {@code hi}, as the spec says. NaN stays NaN.
 */
final class Clip extends OpSchema {
  private static final String[] NAMES = {"input", "min", "max"};

  Clip() {
    super("Clip", 1, 3, 1, 1, List.of());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ElementTypes.NUMERIC.require(ctx, 0);
    for (int i = 1; i <= 2; i++) {
      if (!ctx.hasInput(i)) {
        continue;
      }
      ctx.requireSameDType(0, i);
      TensorType bound = ctx.type(i);
      // ONNX wants a scalar; exporters also write one-element [1] tensors, which mean the same.
      boolean oneElement = bound.shape().dims().stream().allMatch(d -> d.equals(Dim.of(1)));
      if (bound.rank() > 1 || !oneElement) {
        throw OpException.of("input %d (%s) must be a scalar, got %s", i, NAMES[i], bound);
      }
    }
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Broadcasting.asInference(ctx));
    Tensor x = ctx.input(0);
    TensorWriter w = TensorWriter.of(x.dtype(), x.shape());
    if (x.dtype().isFloating()) {
      double lo = ctx.hasInput(1) ? ctx.input(1).getDouble(0) : Double.NEGATIVE_INFINITY;
      double hi = ctx.hasInput(2) ? ctx.input(2).getDouble(0) : Double.POSITIVE_INFINITY;
      for (long i = 0; i < w.size(); i++) {
        w.setDouble(i, Math.min(Math.max(x.getDouble(i), lo), hi));
      }
    } else {
      boolean signed = x.dtype().isSigned();
      // Unsigned values (u64 above 2^63 included) are ordered by Long.compareUnsigned.
      long lo = ctx.hasInput(1) ? ctx.input(1).getLong(0) : signed ? Long.MIN_VALUE : 0;
      long hi = ctx.hasInput(2) ? ctx.input(2).getLong(0) : signed ? Long.MAX_VALUE : -1;
      for (long i = 0; i < w.size(); i++) {
        long v = x.getLong(i);
        if (compare(v, lo, signed) < 0) {
          v = lo;
        }
        if (compare(v, hi, signed) > 0) {
          v = hi;
        }
        w.setLong(i, v);
      }
    }
    return List.of(w.build());
  }

  private static int compare(long a, long b, boolean signed) {
    return signed ? Long.compare(a, b) : Long.compareUnsigned(a, b);
  }
}
