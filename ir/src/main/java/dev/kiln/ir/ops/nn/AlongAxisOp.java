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
 * The opset-13 operators that map each 1-D slice along one {@code axis} (default -1) of a
 * floating-point X to a slice of the same shape (Softmax, LogSoftmax, Hardmax): their schema,
 * inference and the walk over the slices, so that each says only what it does to one slice.
 */
abstract class AlongAxisOp extends OpSchema {
  AlongAxisOp(String name) {
    super(name, 1, 1, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(-1L))));
  }

  @Override
  public final List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireDType(0, DType.F16, DType.BF16, DType.F32, DType.F64);
    axis(ctx.attrs().getInt("axis", -1), x.rank());
    return List.of(x);
  }

  private static int axis(long axis, int rank) {
    return Shapes.normalizeAxis(axis, rank, "attribute 'axis'");
  }

  @Override
  public final List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long[] shape = x.shape();
    int axis = axis(ctx.attrs().getInt("axis", -1), x.rank());
    long n = shape[axis];
    long inner = Shapes.size(Arrays.copyOfRange(shape, axis + 1, shape.length));
    long outer = n * inner == 0 ? 0 : x.size() / (n * inner); // an empty dim: nothing to do
    TensorWriter out = TensorWriter.of(x.dtype(), shape);
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        slice(x, out, o * n * inner + i, n, inner);
      }
    }
    return List.of(out.build());
  }

  /**
   * Writes the slice of {@code n} elements at flat indices {@code base + j * stride} of
   * {@code out} from the same elements of {@code x}; {@code out} starts as zeros.
   */
  abstract void slice(Tensor x, TensorWriter out, long base, long n, long stride);
}
