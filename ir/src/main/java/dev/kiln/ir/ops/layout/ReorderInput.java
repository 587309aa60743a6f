package dev.kiln.ir.ops.layout;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * Kiln's {@code ReorderInput} (as ONNX Runtime's {@code com.microsoft.nchwc.ReorderInput}): an
 * f32 NCHW tensor {@code [N, C, H, W]} into the blocked layout {@code [N, ceil(C/b), H, W, b]},
 * b = {@code channels_block}, the lanes past C zero.
 */
final class ReorderInput extends OpSchema {
  static final ReorderInput INSTANCE = new ReorderInput();

  private ReorderInput() {
    super("ReorderInput", 1, 1, 1, 1, List.of(Blocked.BLOCK_ATTRIBUTE));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireDType(0, DType.F32);
    if (x.rank() != 4) {
      throw OpException.of("input 0 (X) must be an NCHW tensor of rank 4, got %s", x);
    }
    return List.of(Blocked.blockedType(x, Blocked.block(ctx.attrs())));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    if (x.rank() != 4) {
      throw OpException.of("input 0 (X) must be an NCHW tensor of rank 4, got %s", x.type());
    }
    return List.of(Blocked.block(x, Blocked.block(ctx.attrs())));
  }
}
