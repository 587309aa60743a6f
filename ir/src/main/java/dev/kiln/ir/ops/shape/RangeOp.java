package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code Range} (opset 11): {@code start, start + delta, ...} while below {@code limit} (above
 * it for a negative delta): {@code max(ceil((limit - start) / delta), 0)} elements, element i
 * being {@code start + i * delta}. The three scalar inputs share one type.
 */
final class RangeOp extends OpSchema {
  static final RangeOp INSTANCE = new RangeOp();

  private static final DType[] TYPES = {DType.F32, DType.F64, DType.I16, DType.I32, DType.I64};
  private static final String[] ROLES = {"start", "limit", "delta"};

  private RangeOp() {
    super("Range", 3, 3, 1, 1, List.of());
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Start, limit and delta decide the output length.
    return true;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    DType dtype = ctx.type(0).dtype();
    for (int i = 0; i < 3; i++) {
      IntInputs.requireScalar(ctx, i, ROLES[i], TYPES);
      if (ctx.type(i).dtype() != dtype) {
        throw OpException.of(
            "input %d (%s) must have the type of input 0 (start) %s, got %s",
            i, ROLES[i], ctx.type(0), ctx.type(i));
      }
    }
    if (ctx.constant(0).isEmpty() || ctx.constant(1).isEmpty() || ctx.constant(2).isEmpty()) {
      return List.of(new TensorType(dtype, Shape.of(Dim.UNKNOWN)));
    }
    long n = count(ctx.constant(0).get(), ctx.constant(1).get(), ctx.constant(2).get());
    return List.of(TensorType.of(dtype, n));
  }

  private static long count(Tensor start, Tensor limit, Tensor delta) {
    if (delta.getDouble(0) == 0) {
      throw OpException.of("input 2 (delta) must not be 0");
    }
    if (!start.dtype().isFloating()) {
      return Math.max(0, Math.ceilDiv(limit.getLong(0) - start.getLong(0), delta.getLong(0)));
    }
    double span = limit.getDouble(0) - start.getDouble(0);
    if (start.dtype() == DType.F32) {
      span = (float) span; // the difference is taken in the inputs' precision
    }
    double n = Math.ceil(span / delta.getDouble(0));
    if (!Double.isFinite(n)) {
      throw OpException.of(
          "Range from %s to %s by %s has no finite length",
          start.getDouble(0), limit.getDouble(0), delta.getDouble(0));
    }
    return Math.max(0, (long) n);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    Tensor start = ctx.input(0);
    Tensor delta = ctx.input(2);
    TensorWriter w = TensorWriter.of(outType.dtype(), Layout.sizes(outType));
    for (long i = 0; i < w.size(); i++) {
      if (outType.dtype().isFloating()) {
        w.setDouble(i, start.getDouble(0) + i * delta.getDouble(0));
      } else {
        w.setLong(i, start.getLong(0) + i * delta.getLong(0));
      }
    }
    return List.of(w.build());
  }
}
