package dev.kiln.ir.ops.layout;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * Kiln's {@code ReorderOutput} (as ONNX Runtime's {@code com.microsoft.nchwc.ReorderOutput}): a
 * blocked tensor {@code [N, Cb, H, W, b]} back to NCHW {@code [N, C, H, W]}, C = {@code channels}
 * ({@code (Cb - 1) * b < C <= Cb * b}); the lanes past C are dropped.
 */
final class ReorderOutput extends OpSchema {
  static final ReorderOutput INSTANCE = new ReorderOutput();

  private ReorderOutput() {
    super("ReorderOutput", 1, 1, 1, 1, List.of(AttrSpec.required("channels", AttributeKind.INT)));
  }

  private static long channels(InferenceContext ctx, TensorType x) {
    long c = ctx.attrs().getInt("channels", 0);
    Blocked.checkChannels(c, x.shape().dim(1), Blocked.lanes(x), "input 0 (X) " + x);
    return c;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = Blocked.requireBlocked(ctx.type(0), 0, "X", 0);
    return List.of(Blocked.logicalType(x, Dim.of(channels(ctx, x))));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    TensorType t = Blocked.requireBlocked(x.type(), 0, "X", 0);
    long c = ctx.attrs().getInt("channels", 0);
    if (!ctx.attrs().has("channels")) {
      throw OpException.of("attribute 'channels' is required");
    }
    Blocked.checkChannels(c, t.shape().dim(1), Blocked.lanes(t), "input 0 (X) " + t);
    return List.of(Blocked.unblock(x, c));
  }
}
