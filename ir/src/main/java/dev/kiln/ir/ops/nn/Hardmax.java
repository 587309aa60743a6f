package dev.kiln.ir.ops.nn;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;

/**
 * ONNX {@code Hardmax} (opset 13): 1 at the first largest element along {@code axis} (default
 * -1), 0 elsewhere, the one-hot of {@code ArgMax}. A NaN counts as the largest (the first NaN
 * wins), as in NumPy's argmax, which the ONNX reference uses.
 */
final class Hardmax extends AlongAxisOp {
  static final Hardmax INSTANCE = new Hardmax();

  private Hardmax() {
    super("Hardmax");
  }

  @Override
  void slice(Tensor x, TensorWriter out, long base, long n, long stride) {
    long best = 0;
    for (long j = 1; j < n; j++) {
      double b = x.getDouble(base + best * stride);
      double v = x.getDouble(base + j * stride);
      if (!Double.isNaN(b) && (Double.isNaN(v) || v > b)) {
        best = j;
      }
    }
    out.setDouble(base + best * stride, 1);
  }
}
