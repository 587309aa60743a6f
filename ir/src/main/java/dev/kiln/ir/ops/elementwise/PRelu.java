package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX PRelu: {@code x < 0 ? slope * x : x}, where {@code slope} broadcasts unidirectionally to
 * {@code x} (the output always has x's shape; a slope may not grow it).
 */
final class PRelu extends OpSchema {
  PRelu() {
    super("PRelu", 2, 2, 1, 1, List.of());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ElementTypes.NUMERIC.require(ctx, 0);
    TensorType slope = ElementTypes.NUMERIC.require(ctx, 1);
    ctx.requireSameDType(0, 1);
    if (!broadcastsTo(slope.shape(), x.shape())) {
      throw OpException.of(
          "input 1 (slope) of shape %s cannot be broadcast to input 0 (X) of shape %s",
          slope.shape(), x.shape());
    }
    return List.of(x);
  }

  /**
   * Whether {@code from} can broadcast to {@code to} without changing it. Symbolic dims are given
   * the benefit of the doubt (the run time checks the binding); known sizes must be 1 or equal.
   */
  private static boolean broadcastsTo(Shape from, Shape to) {
    if (from.rank() > to.rank()) {
      return false;
    }
    for (int i = 0; i < from.rank(); i++) {
      Dim f = from.dim(i);
      Dim t = to.dim(i + to.rank() - from.rank());
      boolean bothKnown = f instanceof Dim.Known && t instanceof Dim.Known;
      if (bothKnown && !f.equals(Dim.of(1)) && !f.equals(t)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Broadcasting.asInference(ctx));
    Tensor x = ctx.input(0);
    Tensor slope = ctx.input(1);
    boolean exact = !x.dtype().isFloating();
    boolean signed = x.dtype().isSigned();
    Tensor out =
        Broadcasting.map(
            List.of(x, slope),
            x.dtype(),
            (w, o, idx) -> {
              if (exact) {
                long v = x.getLong(idx[0]);
                w.setLong(o, signed && v < 0 ? v * slope.getLong(idx[1]) : v);
              } else {
                double v = x.getDouble(idx[0]);
                w.setDouble(o, v < 0 ? v * slope.getDouble(idx[1]) : v);
              }
            });
    return List.of(out);
  }
}
