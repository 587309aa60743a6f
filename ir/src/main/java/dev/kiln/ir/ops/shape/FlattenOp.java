package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
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
 * ONNX {@code Flatten} (opset 13): a 2-D view whose rows are the dims before {@code axis} and whose
 * columns are the rest. {@code axis} is in {@code [-rank, rank]}; 0 gives {@code [1, size]}.
 */
final class FlattenOp extends OpSchema {
  static final FlattenOp INSTANCE = new FlattenOp();

  private FlattenOp() {
    super("Flatten", 1, 1, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(1L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int rank = x.rank();
    long axis = ctx.attrs().getInt("axis", 1);
    if (axis < -rank || axis > rank) {
      throw OpException.of(
          "attribute 'axis' = %d is out of range [-%d, %d] for input 0 %s", axis, rank, rank, x);
    }
    int split = (int) (axis < 0 ? axis + rank : axis);
    List<Dim> dims = x.shape().dims();
    Dim rows = DimMath.product(dims.subList(0, split));
    Dim cols = DimMath.product(dims.subList(split, rank));
    return List.of(new TensorType(x.dtype(), Shape.of(rows, cols)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType out = inferTypes(Layout.asInference(ctx)).get(0);
    return List.of(ctx.input(0).reshape(Layout.sizes(out)));
  }
}
