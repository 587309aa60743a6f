package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code Concat} (opset 13): joins inputs of equal rank and element type along {@code axis};
 * every other dim must agree.
 */
final class ConcatOp extends OpSchema {
  static final ConcatOp INSTANCE = new ConcatOp();

  private ConcatOp() {
    super("Concat", 1, VARIADIC, 1, 1, List.of(AttrSpec.required("axis", AttributeKind.INT)));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType first = ctx.type(0);
    int rank = first.rank();
    if (rank == 0) {
      throw OpException.of("input 0 must have rank >= 1 to be concatenated, got %s", first);
    }
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), rank, "axis");
    List<Dim> dims = new ArrayList<>(first.shape().dims());
    List<Dim> axisDims = new ArrayList<>();
    for (int i = 0; i < ctx.inputCount(); i++) {
      TensorType t = ctx.type(i);
      if (t.dtype() != first.dtype()) {
        throw OpException.of(
            "input %d must have the element type of input 0 (%s), got %s", i, first.dtype(), t);
      }
      if (t.rank() != rank) {
        throw OpException.of("input %d must have rank %d like input 0 %s, got %s", i, rank, first, t);
      }
      for (int d = 0; d < rank; d++) {
        if (d != axis) {
          dims.set(d, agree(dims.get(d), t.shape().dim(d), i, d, first, t));
        }
      }
      axisDims.add(t.shape().dim(axis));
    }
    dims.set(axis, DimMath.sum(axisDims));
    return List.of(new TensorType(first.dtype(), Shape.of(dims)));
  }

  /** The dim both inputs must have; a known size beats a name (the run time checks the name). */
  private static Dim agree(Dim a, Dim b, int input, int axis, TensorType first, TensorType t) {
    if (a.equals(b)) {
      return a;
    }
    if (a instanceof Dim.Known && b instanceof Dim.Known) {
      throw OpException.of(
          "input %d %s does not match input 0 %s in dimension %d (%s vs %s)",
          input, t, first, axis, b, a);
    }
    if (a instanceof Dim.Known) {
      return a;
    }
    if (b instanceof Dim.Known) {
      return b;
    }
    return a instanceof Dim.Named ? a : b;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), outType.rank(), "axis");
    long[] out = Layout.sizes(outType);
    TensorWriter w = TensorWriter.of(outType.dtype(), out);
    // Row-major, the output is `outer` rows, each the inputs' blocks of `dim(axis) * inner`
    // elements side by side.
    long outer = Shapes.size(Arrays.copyOfRange(out, 0, axis));
    long inner = Shapes.size(Arrays.copyOfRange(out, axis + 1, out.length));
    long row = out[axis] * inner;
    long column = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      Tensor x = ctx.input(i);
      long block = x.dim(axis) * inner;
      for (long r = 0; r < outer; r++) {
        for (long e = 0; e < block; e++) {
          w.copyElement(x, r * block + e, r * row + column + e);
        }
      }
      column += block;
    }
    return List.of(w.build());
  }
}
