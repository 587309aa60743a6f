package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code ScatterElements} (opset 13; {@code reduction} from opsets 16 and 18), the inverse of
 * GatherElements: a copy of input 0 where, for axis 0, {@code out[indices[i][j]][j] = updates[i][j]}
 * (or is combined with it by the reduction). Indices and updates share one shape of the data's
 * rank; elements are applied in row-major order.
 */
final class ScatterElementsOp extends OpSchema {
  static final ScatterElementsOp INSTANCE = new ScatterElementsOp();

  private ScatterElementsOp() {
    super(
        "ScatterElements",
        3,
        3,
        1,
        1,
        List.of(
            AttrSpec.optional("axis", Attribute.of(0L)),
            AttrSpec.optional("reduction", Attribute.of("none"))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ctx.type(0);
    TensorType indices = IntInputs.indices(ctx, 1);
    TensorType updates = ctx.type(2);
    ScatterBuffer.reduction(ctx, data.dtype());
    if (updates.dtype() != data.dtype()) {
      throw OpException.of("input 2 (updates) must have the element type of input 0 %s, got %s", data, updates);
    }
    if (data.rank() == 0 || indices.rank() != data.rank()) {
      throw OpException.of(
          "input 1 (indices) %s must have the rank of input 0 (data) %s, at least 1", indices, data);
    }
    if (updates.rank() != indices.rank()
        || DimMath.certainlyDifferentDims(updates.shape().dims(), indices.shape().dims())) {
      throw OpException.of(
          "input 2 (updates) %s must have the shape of input 1 (indices) %s", updates, indices);
    }
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), data.rank(), "axis");
    GatherElementsOp.requireIndicesWithinData(indices, data, axis);
    return List.of(data);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    inferTypes(ic);
    Tensor data = ctx.input(0);
    Tensor indices = ctx.input(1);
    Tensor updates = ctx.input(2);
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), data.rank(), "axis");
    ScatterBuffer out = new ScatterBuffer(data, ScatterBuffer.reduction(ic, data.dtype()));
    long[] in = data.shape();
    long[] strides = Shapes.strides(in);
    long[] shape = indices.shape();
    for (long e = 0; e < indices.size(); e++) {
      long[] coords = Layout.unravel(e, shape);
      coords[axis] = ScatterNdOp.wrap(indices.getLong(e), in[axis], axis, "indices");
      out.put(Layout.offset(coords, strides), updates, e);
    }
    return List.of(out.build());
  }
}
