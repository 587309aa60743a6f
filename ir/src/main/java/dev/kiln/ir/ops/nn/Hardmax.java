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
 * ONNX {@code Hardmax} (opset 13): 1 at the first largest element along {@code axis} (default
 * -1), 0 elsewhere, the one-hot of {@code ArgMax}. A NaN counts as the largest (the first NaN
 * wins), as in NumPy's argmax, which the ONNX reference uses.
 */
final class Hardmax extends OpSchema {
  static final Hardmax INSTANCE = new Hardmax();

  private Hardmax() {
    super("Hardmax", 1, 1, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(-1L))));
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
        long best = 0;
        for (long j = 1; j < n; j++) {
          double b = x.getDouble(base + best * inner);
          double v = x.getDouble(base + j * inner);
          if (!Double.isNaN(b) && (Double.isNaN(v) || v > b)) {
            best = j;
          }
        }
        out.setDouble(base + best * inner, 1);
      }
    }
    return List.of(out.build());
  }
}
