package dev.kiln.ir.ops.linalg;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * Kiln's {@code FusedMatMul}: inputs A, B (as {@code MatMul}), bias? and Z?, and an
 * {@link Epilogue}; {@code Y = act(MatMul(A, B) + bias + Z)}, where bias broadcasts to Y (a
 * row of Y's last dim, typically) and Z has Y's type. Made by {@code fuse-epilogue}. (ONNX
 * Runtime's {@code com.microsoft.FusedMatMul} is a different operator, a MatMul with transposes
 * and a scale, so Kiln never exports this one under that name.)
 */
final class FusedMatMul extends OpSchema {
  static final FusedMatMul INSTANCE = new FusedMatMul();

  private FusedMatMul() {
    super("FusedMatMul", 2, 4, 1, 1, Epilogue.ATTRIBUTES);
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType y = MatMul.INSTANCE.inferTypes(ctx).get(0);
    if (ctx.hasInput(2)) {
      Epilogue.checkAddend(ctx, 2, "bias", y, false);
    }
    return Epilogue.inferFused(ctx, y, 3);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor y = MatMul.INSTANCE.evaluate(ctx).get(0);
    if (ctx.hasInput(2)) {
      y = Epilogue.add(y, ctx.input(2));
    }
    return Epilogue.evaluateFused(ctx, y, 3);
  }
}
