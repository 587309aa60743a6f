package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code Softmax} and {@code LogSoftmax} (opset 13): normalized exponentials over the single
 * axis {@code axis} (default -1); earlier opsets' flattening to 2-D is not what opset 13 means.
 * Computed with the maximum subtracted first, so large inputs do not overflow.
 */
final class Softmax extends OpSchema {
  static final Softmax SOFTMAX = new Softmax("Softmax", false);
  static final Softmax LOG_SOFTMAX = new Softmax("LogSoftmax", true);

  private final boolean log;

  private Softmax(String name, boolean log) {
    super(name, 1, 1, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(-1L))));
    this.log = log;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireDType(0, DType.F16, DType.BF16, DType.F32, DType.F64);
    axis(ctx.attrs().getInt("axis", -1), x.rank());
    return List.of(x);
  }

  private static int axis(long axis, int rank) {
    return Shapes.normalizeAxis(axis, rank, "attribute 'axis'");
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long[] shape = x.shape();
    int axis = axis(ctx.attrs().getInt("axis", -1), x.rank());
    long n = shape[axis];
    long inner = Shapes.size(Arrays.copyOfRange(shape, axis + 1, shape.length));
    long outer = n * inner == 0 ? 0 : x.size() / (n * inner); // an empty dim: nothing to do
    TensorWriter out = TensorWriter.of(x.dtype(), shape);
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        long base = o * n * inner + i;
        double max = Double.NEGATIVE_INFINITY;
        for (long j = 0; j < n; j++) {
          max = Math.max(max, x.getDouble(base + j * inner));
        }
        double sum = 0;
        for (long j = 0; j < n; j++) {
          sum += Math.exp(x.getDouble(base + j * inner) - max);
        }
        for (long j = 0; j < n; j++) {
          double shifted = x.getDouble(base + j * inner) - max;
          out.setDouble(base + j * inner, log ? shifted - Math.log(sum) : Math.exp(shifted) / sum);
        }
      }
    }
    return List.of(out.build());
  }
}
