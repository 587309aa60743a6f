package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code Trilu} (opset 14): keeps the upper ({@code upper=1}, the default) or lower triangle
 * of the last two dims and zeroes the rest. Element {@code (i, j)} is kept when {@code j - i >= k}
 * (upper) or {@code j - i <= k} (lower), {@code k} being the optional scalar input 1 (default 0).
 */
final class TriluOp extends OpSchema {
  static final TriluOp INSTANCE = new TriluOp();

  private TriluOp() {
    super("Trilu", 1, 2, 1, 1, List.of(AttrSpec.optional("upper", Attribute.of(1L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    IntInputs.flag(ctx, "upper", 1);
    if (x.rank() < 2) {
      throw OpException.of("input 0 must have rank >= 2, got %s", x);
    }
    if (ctx.hasInput(1)) {
      IntInputs.requireScalar(ctx, 1, "k", DType.I64);
    }
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    inferTypes(ic);
    boolean upper = IntInputs.flag(ic, "upper", 1);
    long k = ctx.hasInput(1) ? ctx.input(1).getLong(0) : 0;
    Tensor x = ctx.input(0);
    long[] shape = x.shape();
    long rows = shape[shape.length - 2];
    long cols = shape[shape.length - 1];
    TensorWriter w = TensorWriter.of(x.dtype(), shape);
    for (long e = 0; e < x.size(); e++) {
      long j = e % cols;
      long i = (e / cols) % rows;
      boolean keep = upper ? j - i >= k : j - i <= k;
      if (keep) {
        w.copyElement(x, e, e);
      }
    }
    return List.of(w.build());
  }
}
