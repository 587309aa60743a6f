package dev.kiln.ir.ops.elementwise;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * An operator with three inputs, the last optional (Conv's X, W, B?; Gemm's A, B, C?), followed by
 * an {@link Epilogue}: {@code Y = act(base(...) + Z)} with the residual Z? as input 3; the base's
 * attributes plus the epilogue's. What FusedConv and FusedGemm are.
 */
public abstract class FusedWithEpilogue extends OpSchema {
  private static final int RESIDUAL_SLOT = 3;

  private final OpSchema base;

  protected FusedWithEpilogue(String name, OpSchema base) {
    super(name, 2, 4, 1, 1, ImmutableList.<AttrSpec>builder()
        .addAll(base.attributes()).addAll(Epilogue.ATTRIBUTES).build());
    this.base = base;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType y = base.inferTypes(ctx).get(0);
    return Epilogue.inferFused(ctx, y, RESIDUAL_SLOT);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor y = base.evaluate(ctx).get(0);
    return Epilogue.evaluateFused(ctx, y, RESIDUAL_SLOT);
  }
}
