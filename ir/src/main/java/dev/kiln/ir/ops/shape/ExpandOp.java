package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Expand} (opset 13): broadcasts input 0 against the shape in input 1, both ways, so
 * a 1 in the shape keeps the input's dim and the output rank is the larger of the two.
 */
final class ExpandOp extends OpSchema {
  static final ExpandOp INSTANCE = new ExpandOp();

  private ExpandOp() {
    super("Expand", 2, 2, 1, 1, List.of());
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Input 1 (shape) decides the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int length = IntInputs.staticLength1D(ctx, 1, "shape", DType.I64);
    Optional<long[]> shape = IntInputs.values(ctx, 1);
    if (shape.isPresent()) {
      for (long v : shape.get()) {
        if (v < 0) {
          throw OpException.of(
              "input 1 (shape) = %s has a negative size", Arrays.toString(shape.get()));
        }
      }
      try {
        return List.of(new TensorType(x.dtype(), Shapes.broadcast(x.shape(), Shape.of(shape.get()))));
      } catch (OpException e) {
        throw OpException.of(
            "input 0 %s cannot be expanded to input 1 (shape) = %s",
            x, Arrays.toString(shape.get()));
      }
    }
    // The shape is unknown, but a known input size other than 1 survives broadcasting unchanged
    // (a symbolic one does not: N against 5 is 5).
    int rank = Math.max(x.rank(), length);
    List<Dim> dims = DimMath.unknown(rank);
    for (int i = 0; i < x.rank(); i++) {
      Dim d = x.shape().dim(i);
      if (d instanceof Dim.Known k && k.size() != 1) {
        dims.set(rank - x.rank() + i, d);
      }
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    Tensor x = ctx.input(0);
    long[] out = Layout.sizes(outType);
    long[] in = x.shape();
    long[] inStrides = Shapes.strides(in);
    // Broadcast dims (size 1 in the input, or missing on the left) repeat: stride 0.
    long[] strides = new long[out.length];
    for (int d = 0; d < in.length; d++) {
      int o = d + out.length - in.length;
      strides[o] = in[d] == 1 ? 0 : inStrides[d];
    }
    return List.of(Layout.strided(x, out, 0, strides));
  }
}
