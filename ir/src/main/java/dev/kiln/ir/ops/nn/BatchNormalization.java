package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code BatchNormalization} (opset 15) in inference mode: {@code Y = (X - mean) /
 * sqrt(var + epsilon) * scale + B} per channel (dim 1) of [N, C, D1, ...]. Training mode, which
 * computes batch statistics and updates the running ones, is rejected: Kiln compiles inference
 * graphs, and silently ignoring it would give wrong answers. {@code momentum} only matters in
 * training and is accepted and ignored.
 */
final class BatchNormalization extends OpSchema {
  static final BatchNormalization INSTANCE = new BatchNormalization();

  private static final String[] PARAMS = {"X", "scale", "B", "input_mean", "input_var"};

  private BatchNormalization() {
    super(
        "BatchNormalization",
        5,
        5,
        1,
        3,
        List.of(
            AttrSpec.optional("epsilon", Attribute.of(1e-5f)),
            AttrSpec.optional("momentum", Attribute.of(0.9f)),
            AttrSpec.optional("training_mode", Attribute.of(0L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    rejectTrainingMode(ctx.attrs());
    if (ctx.outputCount() > 1) {
      throw OpException.of(
          "BatchNormalization in inference mode has only output Y, got %d outputs"
              + " (running_mean and running_var exist only with training_mode=1)",
          ctx.outputCount());
    }
    TensorType x = ctx.requireFloating(0);
    if (x.rank() < 2) {
      throw OpException.of("input 0 (X) must have rank >= 2 (N, C, ...), got %s", x);
    }
    Dim channels = x.shape().dim(1);
    for (int i = 1; i < PARAMS.length; i++) {
      NnChecks.requireChannelVector(ctx, i, PARAMS[i], channels);
    }
    return List.of(x);
  }

  private static void rejectTrainingMode(Attributes attrs) {
    if (NnChecks.flag(attrs.getInt("training_mode", 0), "training_mode")) {
      throw OpException.of(
          "training_mode=1 is not supported: Kiln runs BatchNormalization in inference mode"
              + " (export the model in eval mode)");
    }
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    rejectTrainingMode(ctx.attrs());
    Tensor x = ctx.input(0);
    Tensor scale = ctx.input(1);
    Tensor bias = ctx.input(2);
    Tensor mean = ctx.input(3);
    Tensor variance = ctx.input(4);
    double epsilon = ctx.attrs().getFloat("epsilon", 1e-5f);
    long channels = x.dim(1);
    for (int i = 1; i < PARAMS.length; i++) {
      NnChecks.requireChannelVector(ctx.input(i), i, PARAMS[i], channels);
    }
    long plane = x.size() / Math.max(1, x.dim(0) * channels);
    TensorWriter out = TensorWriter.of(x.dtype(), x.shape());
    for (long i = 0; i < x.size(); i++) {
      long c = (i / plane) % channels;
      double normalized =
          (x.getDouble(i) - mean.getDouble(c)) / Math.sqrt(variance.getDouble(c) + epsilon);
      out.setDouble(i, normalized * scale.getDouble(c) + bias.getDouble(c));
    }
    return List.of(out.build());
  }
}
