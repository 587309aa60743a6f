package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX Where: {@code condition ? x : y} elementwise, the three inputs broadcast together. The
 * chosen element is copied bit for bit, so NaN payloads and -0 survive.
 */
final class Where extends OpSchema {
  Where() {
    super("Where", 3, 3, 1, 1, List.of());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    ElementTypes.BOOL.require(ctx, 0);
    TensorType x = ElementTypes.ANY.require(ctx, 1);
    ElementTypes.ANY.require(ctx, 2);
    ctx.requireSameDType(1, 2);
    return List.of(new TensorType(x.dtype(), Broadcasting.inferShape(ctx, 0, 1, 2)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Broadcasting.asInference(ctx));
    Tensor condition = ctx.input(0);
    Tensor x = ctx.input(1);
    Tensor y = ctx.input(2);
    Tensor out =
        Broadcasting.map(
            List.of(condition, x, y),
            x.dtype(),
            (w, o, idx) -> {
              if (condition.getBoolean(idx[0])) {
                w.copyElement(x, idx[1], o);
              } else {
                w.copyElement(y, idx[2], o);
              }
            });
    return List.of(out);
  }
}
