package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
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
import java.util.List;

/**
 * ONNX {@code ArgMax} / {@code ArgMin} (opset 13): the i64 index of the largest (smallest) element
 * along {@code axis}; the first one among equals, or the last with {@code select_last_index} = 1.
 * A NaN counts as the extreme (the first NaN wins), as in NumPy.
 */
final class ArgReduce extends OpSchema {
  private final boolean max;

  ArgReduce(String name, boolean max) {
    super(
        name,
        1,
        1,
        1,
        1,
        List.of(
            AttrSpec.optional("axis", Attribute.of(0L)),
            AttrSpec.optional("keepdims", Attribute.of(1L)),
            AttrSpec.optional("select_last_index", Attribute.of(0L))));
    this.max = max;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType in = ctx.requireNumeric(0);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), in.rank(), "attribute 'axis'");
    boolean keepDims = Reduce.keepDims(ctx.attrs().getInt("keepdims", 1));
    selectLast(ctx.attrs().getInt("select_last_index", 0));
    Dim reduced = in.shape().dim(axis);
    if (reduced.isKnown() && reduced.size() == 0) {
      throw emptyAxis(axis, in);
    }
    List<Dim> dims = new ArrayList<>(in.shape().dims());
    if (keepDims) {
      dims.set(axis, Dim.of(1));
    } else {
      dims.remove(axis);
    }
    return List.of(new TensorType(DType.I64, Shape.of(dims)));
  }

  private OpException emptyAxis(int axis, TensorType in) {
    return OpException.of("%s over axis %d of %s, which is empty, has no answer", name(), axis, in);
  }

  private static boolean selectLast(long value) {
    if (value != 0 && value != 1) {
      throw OpException.of("attribute 'select_last_index' must be 0 or 1, got %d", value);
    }
    return value == 1;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), x.rank(), "attribute 'axis'");
    boolean keepDims = Reduce.keepDims(ctx.attrs().getInt("keepdims", 1));
    boolean last = selectLast(ctx.attrs().getInt("select_last_index", 0));
    if (x.dim(axis) == 0) {
      throw emptyAxis(axis, x.type());
    }
    boolean[] reduced = new boolean[x.rank()];
    reduced[axis] = true;
    ReducedShape geometry = new ReducedShape(x.shape(), reduced);
    TensorWriter out = TensorWriter.of(DType.I64, geometry.outputShape(keepDims));
    boolean floating = x.dtype().isFloating();
    boolean unsigned = !x.dtype().isSigned();
    for (long o = 0; o < geometry.outputCount(); o++) {
      long best = 0;
      for (long m = 1; m < geometry.groupSize(); m++) {
        int c;
        if (floating) {
          double v = x.getDouble(geometry.inputIndex(o, m));
          double b = x.getDouble(geometry.inputIndex(o, best));
          if (Double.isNaN(b)) {
            continue;
          }
          c = Double.isNaN(v) ? 1 : v == b ? 0 : (v > b ? 1 : -1);
          c = !max && !Double.isNaN(v) ? -c : c;
        } else {
          long v = x.getLong(geometry.inputIndex(o, m));
          long b = x.getLong(geometry.inputIndex(o, best));
          c = Integer.signum(Reducer.compare(v, b, unsigned));
          c = max ? c : -c;
        }
        if (c > 0 || (c == 0 && last)) {
          best = m;
        }
      }
      out.setLong(o, best);
    }
    return List.of(out.build());
  }
}
