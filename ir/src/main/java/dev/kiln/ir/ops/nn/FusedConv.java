package dev.kiln.ir.ops.nn;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * Kiln's {@code FusedConv}, named and shaped like ONNX Runtime's {@code com.microsoft.FusedConv}:
 * inputs X, W, B? (as {@code Conv}) and Z?, Conv's attributes plus an {@link Epilogue}
 * ({@code activation}, {@code activation_params}); {@code Y = act(Conv(X, W, B) + Z)}, Z of Y's
 * type. The {@code fuse-epilogue} pass makes it from a Conv and the bias, residual Add and
 * activation after it.
 */
final class FusedConv extends OpSchema {
  static final FusedConv INSTANCE = new FusedConv();

  private FusedConv() {
    super("FusedConv", 2, 4, 1, 1, ImmutableList.<dev.kiln.ir.op.AttrSpec>builder()
        .addAll(Conv.INSTANCE.attributes()).addAll(Epilogue.ATTRIBUTES).build());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType y = Conv.INSTANCE.inferTypes(ctx).get(0);
    return Epilogue.inferFused(ctx, y, 3);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor y = Conv.INSTANCE.evaluate(ctx).get(0);
    return Epilogue.evaluateFused(ctx, y, 3);
  }
}
