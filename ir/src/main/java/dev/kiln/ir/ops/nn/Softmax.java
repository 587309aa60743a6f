package dev.kiln.ir.ops.nn;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;

/**
 * ONNX {@code Softmax} and {@code LogSoftmax} (opset 13): normalized exponentials over the single
 * axis {@code axis} (default -1); earlier opsets' flattening to 2-D is not what opset 13 means.
 * Computed with the maximum subtracted first, so large inputs do not overflow.
 */
final class Softmax extends AlongAxisOp {
  static final Softmax SOFTMAX = new Softmax("Softmax", false);
  static final Softmax LOG_SOFTMAX = new Softmax("LogSoftmax", true);

  private final boolean log;

  private Softmax(String name, boolean log) {
    super(name);
    this.log = log;
  }

  @Override
  void slice(Tensor x, TensorWriter out, long base, long n, long stride) {
    double max = Double.NEGATIVE_INFINITY;
    for (long j = 0; j < n; j++) {
      max = Math.max(max, x.getDouble(base + j * stride));
    }
    double sum = 0;
    for (long j = 0; j < n; j++) {
      sum += Math.exp(x.getDouble(base + j * stride) - max);
    }
    for (long j = 0; j < n; j++) {
      double shifted = x.getDouble(base + j * stride) - max;
      out.setDouble(base + j * stride, log ? shifted - Math.log(sum) : Math.exp(shifted) / sum);
    }
  }
}
