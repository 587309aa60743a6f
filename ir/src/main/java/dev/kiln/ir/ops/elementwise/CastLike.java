package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX CastLike (opset 15): {@link Cast} of input 0 to the element type of input 1, whose values
 * are not read. {@code saturate} is accepted and ignored, as for Cast.
 */
final class CastLike extends OpSchema {
  CastLike() {
    super("CastLike", 2, 2, 1, 1, List.of(AttrSpec.optional("saturate", Attribute.of(1L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ElementTypes.ANY.require(ctx, 0);
    TensorType like = ElementTypes.ANY.require(ctx, 1);
    return List.of(new TensorType(like.dtype(), x.shape()));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Broadcasting.asInference(ctx));
    return List.of(Cast.convert(ctx.input(0), ctx.input(1).dtype()));
  }
}
