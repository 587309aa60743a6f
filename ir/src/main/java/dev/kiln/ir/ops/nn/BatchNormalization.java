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
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code BatchNormalization} (opset 15) per channel (dim 1) of [N, C, D1, ...]:
 * {@code Y = (X - mean) / sqrt(var + epsilon) * scale + B}.
 *
 * <p>In inference mode ({@code training_mode = 0}, the default) mean and var are the inputs
 * {@code input_mean} and {@code input_var}, and Y is the only output. In training mode they are
 * the current batch's statistics over every dim but the channel, with the <em>population</em>
 * variance (divided by the element count, not count - 1), and the optional outputs 1 and 2 are
 * the updated running statistics {@code input_mean * momentum + mean * (1 - momentum)} (same
 * for the variance). The importer maps the older opsets' training form (more than one output,
 * no attribute) onto {@code training_mode = 1}.
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

  /** Whether the node computes batch statistics; checks the output count against the mode. */
  static boolean training(Attributes attrs, int outputCount) {
    boolean training = NnChecks.flag(attrs.getInt("training_mode", 0), "training_mode");
    if (!training && outputCount > 1) {
      throw OpException.of(
          "BatchNormalization in inference mode has only output Y, got %d outputs"
              + " (running_mean and running_var exist only with training_mode=1)",
          outputCount);
    }
    return training;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    training(ctx.attrs(), ctx.outputCount());
    TensorType x = ctx.requireFloating(0);
    if (x.rank() < 2) {
      throw OpException.of("input 0 (X) must have rank >= 2 (N, C, ...), got %s", x);
    }
    Dim channels = x.shape().dim(1);
    for (int i = 1; i < PARAMS.length; i++) {
      NnChecks.requireChannelVector(ctx, i, PARAMS[i], channels);
    }
    List<TensorType> out = new ArrayList<>(List.of(x));
    for (int i = 1; i < ctx.outputCount(); i++) {
      // running_mean and running_var have the type of input_mean and input_var.
      out.add(ctx.type(2 + i));
    }
    return out;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    boolean training = training(ctx.attrs(), ctx.outputCount());
    Tensor x = ctx.input(0);
    Tensor scale = ctx.input(1);
    Tensor bias = ctx.input(2);
    long channels = x.dim(1);
    for (int i = 1; i < PARAMS.length; i++) {
      NnChecks.requireChannelVector(ctx.input(i), i, PARAMS[i], channels);
    }
    double epsilon = ctx.attrs().getFloat("epsilon", 1e-5f);
    long plane = x.size() / Math.max(1, x.dim(0) * channels);
    double[] mean = ctx.input(3).toDoubleArray();
    double[] variance = ctx.input(4).toDoubleArray();
    if (training) {
      mean = batchMeans(x, channels, plane);
      variance = batchVariances(x, channels, plane, mean);
    }
    TensorWriter y = TensorWriter.of(x.dtype(), x.shape());
    for (long i = 0; i < x.size(); i++) {
      int c = (int) ((i / plane) % channels);
      double normalized = (x.getDouble(i) - mean[c]) / Math.sqrt(variance[c] + epsilon);
      y.setDouble(i, normalized * scale.getDouble(c) + bias.getDouble(c));
    }
    List<Tensor> out = new ArrayList<>(List.of(y.build()));
    double momentum = ctx.attrs().getFloat("momentum", 0.9f);
    double[][] batch = {mean, variance};
    for (int i = 1; i < ctx.outputCount(); i++) {
      Tensor running = ctx.input(2 + i);
      TensorWriter updated = TensorWriter.of(running.dtype(), running.shape());
      for (int c = 0; c < channels; c++) {
        updated.setDouble(c, running.getDouble(c) * momentum + batch[i - 1][c] * (1 - momentum));
      }
      out.add(updated.build());
    }
    return out;
  }

  private static double[] batchMeans(Tensor x, long channels, long plane) {
    double[] sum = new double[(int) channels];
    for (long i = 0; i < x.size(); i++) {
      sum[(int) ((i / plane) % channels)] += x.getDouble(i);
    }
    double count = x.size() / (double) Math.max(1, channels);
    for (int c = 0; c < channels; c++) {
      sum[c] /= count;
    }
    return sum;
  }

  /** The population variance, from a second pass over the deviations. */
  private static double[] batchVariances(Tensor x, long channels, long plane, double[] mean) {
    double[] squares = new double[(int) channels];
    for (long i = 0; i < x.size(); i++) {
      int c = (int) ((i / plane) % channels);
      double d = x.getDouble(i) - mean[c];
      squares[c] += d * d;
    }
    double count = x.size() / (double) Math.max(1, channels);
    for (int c = 0; c < channels; c++) {
      squares[c] /= count;
    }
    return squares;
  }
}
