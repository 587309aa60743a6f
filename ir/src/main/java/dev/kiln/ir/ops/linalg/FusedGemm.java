package dev.kiln.ir.ops.linalg;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * Kiln's {@code FusedGemm}: inputs A, B, C? (as {@code Gemm}) and Z?, Gemm's attributes plus an
 * {@link Epilogue}; {@code Y = act(alpha A'B' + beta C + Z)}, Z of Y's type. Made by
 * {@code fuse-epilogue}. (ONNX Runtime's {@code com.microsoft.FusedGemm} has no Z and spells the
 * activation's parameters differently, so Kiln does not export it under that name.)
 */
final class FusedGemm extends OpSchema {
  static final FusedGemm INSTANCE = new FusedGemm();

  private FusedGemm() {
    super("FusedGemm", 2, 4, 1, 1, ImmutableList.<AttrSpec>builder()
        .addAll(Gemm.INSTANCE.attributes()).addAll(Epilogue.ATTRIBUTES).build());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType y = Gemm.INSTANCE.inferTypes(ctx).get(0);
    return Epilogue.inferFused(ctx, y, 3);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor y = Gemm.INSTANCE.evaluate(ctx).get(0);
    return Epilogue.evaluateFused(ctx, y, 3);
  }
}
