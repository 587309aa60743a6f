package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code Unsqueeze}: inserts dims of size 1 at the given axes (input 1 since opset 13,
 * attribute {@code axes} before). Axes index the output, whose rank is the input rank plus the
 * number of axes, so negative axes count from the output's end.
 */
final class UnsqueezeOp extends OpSchema {
  static final UnsqueezeOp INSTANCE = new UnsqueezeOp();

  private UnsqueezeOp() {
    super("Unsqueeze", 1, 2, 1, 1, List.of(AttrSpec.optional("axes", AttributeKind.INTS)));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The axes decide the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    AxesArgument axes = AxesArgument.of(ctx, 1, true, DType.I64);
    if (!axes.given()) {
      throw OpException.of("Unsqueeze needs axes: input 1 (axes) or attribute 'axes'");
    }
    if (axes.count() < 0) {
      throw OpException.of(
          "%s %s must have a static length because it decides the output rank",
          axes.source(), ctx.type(1));
    }
    int outRank = x.rank() + axes.count();
    if (axes.values().isEmpty()) {
      return List.of(new TensorType(x.dtype(), Shape.of(DimMath.unknown(outRank))));
    }
    boolean[] inserted = new boolean[outRank];
    for (int axis : IntInputs.normalizeAxes(axes.values().get(), outRank, axes.source())) {
      inserted[axis] = true;
    }
    List<Dim> dims = new ArrayList<>();
    int next = 0;
    for (int i = 0; i < outRank; i++) {
      dims.add(inserted[i] ? Dim.of(1) : x.shape().dim(next++));
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType out = inferTypes(Layout.asInference(ctx)).get(0);
    return List.of(ctx.input(0).reshape(Layout.sizes(out)));
  }
}
