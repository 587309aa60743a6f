package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/** ONNX Identity: the input, unchanged, of any element type. */
final class Identity extends OpSchema {
  Identity() {
    super("Identity", 1, 1, 1, 1, List.of());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    return List.of(ElementTypes.ANY.require(ctx, 0));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    return List.of(ctx.input(0)); // tensors are immutable, so sharing is a copy
  }
}
