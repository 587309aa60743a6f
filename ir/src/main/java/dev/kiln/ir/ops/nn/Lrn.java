package dev.kiln.ir.ops.nn;

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

/**
 * ONNX {@code LRN} (opset 13), local response normalization across channels: {@code y = x /
 * (bias + alpha / size * s) ^ beta}, where {@code s} sums the squares of X over the channels
 * {@code c - floor((size - 1) / 2) .. c + ceil((size - 1) / 2)} that exist.
 */
final class Lrn extends OpSchema {
  static final Lrn INSTANCE = new Lrn();

  private Lrn() {
    super(
        "LRN",
        1,
        1,
        1,
        1,
        List.of(
            AttrSpec.optional("alpha", Attribute.of(1e-4f)),
            AttrSpec.optional("beta", Attribute.of(0.75f)),
            AttrSpec.optional("bias", Attribute.of(1.0f)),
            AttrSpec.required("size", AttributeKind.INT)));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x =
        NnChecks.requireImage(ctx.requireDType(0, DType.F16, DType.BF16, DType.F32, DType.F64), 1);
    size(ctx.attrs().getInt("size", 0));
    return List.of(x);
  }

  private static long size(long size) {
    if (size <= 0) {
      throw OpException.of("attribute 'size' must be positive, got %d", size);
    }
    return size;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long size = size(ctx.attrs().getInt("size", 0));
    double alpha = ctx.attrs().getFloat("alpha", 1e-4f);
    double beta = ctx.attrs().getFloat("beta", 0.75f);
    double bias = ctx.attrs().getFloat("bias", 1.0f);
    long channels = x.dim(1);
    long plane = NdIndex.size(NnChecks.spatialSizes(x.shape()));
    long below = (size - 1) / 2;
    long above = size - 1 - below;
    TensorWriter out = TensorWriter.of(x.dtype(), x.shape());
    for (long i = 0; i < x.size(); i++) {
      long c = (i / plane) % channels;
      long planeStart = i - c * plane;
      double squares = 0;
      for (long k = Math.max(0, c - below); k <= Math.min(channels - 1, c + above); k++) {
        double v = x.getDouble(planeStart + k * plane);
        squares += v * v;
      }
      out.setDouble(i, x.getDouble(i) / Math.pow(bias + alpha / size * squares, beta));
    }
    return List.of(out.build());
  }
}
