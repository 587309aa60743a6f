package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
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
import java.util.Optional;

/**
 * ONNX {@code EyeLike} (opset 9): a 2-D tensor of input 0's shape with ones on diagonal {@code k}
 * (0 the main one, positive above it, negative below) and zeros elsewhere. Its type is the
 * ONNX data type code in {@code dtype}, or input 0's type. Only the input's shape is used.
 */
final class EyeLikeOp extends OpSchema {
  static final EyeLikeOp INSTANCE = new EyeLikeOp();

  private EyeLikeOp() {
    super(
        "EyeLike",
        1,
        1,
        1,
        1,
        List.of(
            AttrSpec.optional("dtype", AttributeKind.INT),
            AttrSpec.optional("k", Attribute.of(0L))));
  }

  @Override
  public boolean outputsDependOnInputTypesOnly() {
    return true;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    if (x.rank() != 2) {
      throw OpException.of("input 0 must be 2-D, got %s", x);
    }
    return List.of(new TensorType(dtype(ctx, x.dtype()), x.shape()));
  }

  private static DType dtype(InferenceContext ctx, DType fallback) {
    if (!ctx.attrs().has("dtype")) {
      return fallback;
    }
    long code = ctx.attrs().getInt("dtype", 0);
    return DType.fromOnnxCode((int) code)
        .orElseThrow(() -> OpException.of(
            "attribute 'dtype' = %d is not an ONNX data type Kiln supports", code));
  }

  @Override
  public Optional<List<Tensor>> foldWithoutConstants(InferenceContext ctx) {
    TensorType t = inferTypes(ctx).get(0);
    return t.shape().isStatic()
        ? Optional.of(List.of(eye(t, ctx.attrs().getInt("k", 0))))
        : Optional.empty();
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType t = inferTypes(Layout.asInference(ctx)).get(0);
    return List.of(eye(t, ctx.attrs().getInt("k", 0)));
  }

  private static Tensor eye(TensorType t, long k) {
    long[] shape = Layout.sizes(t);
    TensorWriter w = TensorWriter.of(t.dtype(), shape);
    for (long i = 0; i < shape[0]; i++) {
      long j = i + k;
      if (j >= 0 && j < shape[1]) {
        w.setLong(i * shape[1] + j, 1);
      }
    }
    return w.build();
  }
}
