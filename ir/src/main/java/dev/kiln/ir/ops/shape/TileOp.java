package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** ONNX {@code Tile} (opset 13): repeats input 0 {@code repeats[i]} times along each axis i. */
final class TileOp extends OpSchema {
  static final TileOp INSTANCE = new TileOp();

  private TileOp() {
    super("Tile", 2, 2, 1, 1, List.of());
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The repeats decide the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int length = IntInputs.length1D(ctx, 1, "repeats", DType.I64);
    if (length >= 0 && length != x.rank()) {
      throw OpException.of(
          "input 1 (repeats) %s must have one value per axis of input 0 %s", ctx.type(1), x);
    }
    Optional<long[]> repeats = IntInputs.values(ctx, 1);
    if (repeats.isEmpty()) {
      return List.of(new TensorType(x.dtype(), Shape.of(DimMath.unknown(x.rank()))));
    }
    List<Dim> dims = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      long r = repeats.get()[i];
      if (r < 0) {
        throw OpException.of(
            "input 1 (repeats) = %s has a negative repeat", Arrays.toString(repeats.get()));
      }
      dims.add(DimMath.product(List.of(x.shape().dim(i), Dim.of(r))));
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    Tensor x = ctx.input(0);
    long[] in = x.shape();
    long[] inStrides = Shapes.strides(in);
    long[] out = Layout.sizes(outType);
    TensorWriter w = TensorWriter.of(x.dtype(), out);
    for (long o = 0; o < w.size(); o++) {
      long[] coords = Layout.unravel(o, out);
      for (int d = 0; d < in.length; d++) {
        coords[d] %= in[d];
      }
      w.copyElement(x, Layout.offset(coords, inStrides), o);
    }
    return List.of(w.build());
  }
}
