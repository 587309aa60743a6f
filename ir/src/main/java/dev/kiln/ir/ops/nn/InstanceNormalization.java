package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code InstanceNormalization} (opset 6): each (n, c) plane of [N, C, D1, ...] normalized
 * over its spatial dims, {@code (x - mean) / sqrt(var + epsilon) * scale[c] + B[c]}, with the
 * biased variance.
 */
final class InstanceNormalization extends OpSchema {
  static final InstanceNormalization INSTANCE = new InstanceNormalization();

  private InstanceNormalization() {
    super(
        "InstanceNormalization",
        3,
        3,
        1,
        1,
        List.of(AttrSpec.optional("epsilon", Attribute.of(1e-5f))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x =
        NnChecks.requireImage(ctx.requireDType(0, DType.F16, DType.F32, DType.F64), 1);
    NnChecks.requireChannelVector(ctx, 1, "scale", x.shape().dim(1));
    NnChecks.requireChannelVector(ctx, 2, "B", x.shape().dim(1));
    ctx.requireSameDType(0, 1);
    ctx.requireSameDType(0, 2);
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    Tensor scale = ctx.input(1);
    Tensor bias = ctx.input(2);
    double epsilon = ctx.attrs().getFloat("epsilon", 1e-5f);
    long channels = x.dim(1);
    NnChecks.requireChannelVector(scale, 1, "scale", channels);
    NnChecks.requireChannelVector(bias, 2, "B", channels);
    long planes = x.dim(0) * channels;
    long plane = NdIndex.size(NnChecks.spatialSizes(x.shape()));
    TensorWriter out = TensorWriter.of(x.dtype(), x.shape());
    for (long p = 0; p < planes; p++) {
      long base = p * plane;
      long c = p % channels;
      Moments moments = Moments.of(x, base, plane, epsilon);
      for (long i = 0; i < plane; i++) {
        double v = moments.normalize(x.getDouble(base + i));
        out.setDouble(base + i, v * scale.getDouble(c) + bias.getDouble(c));
      }
    }
    return List.of(out.build());
  }
}
