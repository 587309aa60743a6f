package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code OneHot} (opset 11): a new axis of size {@code depth} (input 1) at {@code axis}
 * (default -1, the last) holding {@code values[1]} where the position equals the index and {@code
 * values[0]} elsewhere. Indices in {@code [-depth, 0)} count from the end; other indices out of
 * range give an all-off row. Real indices and depth are truncated to integers, as in the spec's
 * reference implementation.
 */
final class OneHotOp extends OpSchema {
  static final OneHotOp INSTANCE = new OneHotOp();

  private static final DType[] NUMERIC = {
    DType.F32, DType.F64, DType.F16, DType.BF16, DType.I8, DType.U8, DType.I16, DType.U16,
    DType.I32, DType.U32, DType.I64, DType.U64
  };

  private OneHotOp() {
    super("OneHot", 3, 3, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(-1L))));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The depth decides the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType indices = ctx.type(0);
    IntInputs.requireDType(indices, 0, "indices", NUMERIC);
    IntInputs.requireScalar(ctx, 1, "depth", NUMERIC);
    TensorType values = ctx.type(2);
    if (values.rank() != 1 || !values.shape().dim(0).equals(Dim.of(2))) {
      throw OpException.of("input 2 (values) must be 1-D with 2 values [off, on], got %s", values);
    }
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", -1), indices.rank() + 1, "axis");
    Dim depth = ctx.constant(1).map(d -> Dim.of(depth(d))).orElse(Dim.UNKNOWN);
    List<Dim> dims = new ArrayList<>(indices.shape().dims());
    dims.add(axis, depth);
    return List.of(new TensorType(values.dtype(), Shape.of(dims)));
  }

  private static long depth(Tensor t) {
    long depth = t.getLong(0);
    if (depth < 0) {
      throw OpException.of("input 1 (depth) must not be negative, got %d", depth);
    }
    return depth;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    TensorType outType = inferTypes(ic).get(0);
    Tensor indices = ctx.input(0);
    Tensor values = ctx.input(2);
    long depth = depth(ctx.input(1));
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", -1), indices.rank() + 1, "axis");
    long[] out = Layout.sizes(outType);
    // Output element (outer, d, inner) reads index (outer, inner).
    long inner = 1;
    for (int i = axis + 1; i < out.length; i++) {
      inner *= out[i];
    }
    TensorWriter w = TensorWriter.of(values.dtype(), out);
    for (long o = 0; o < w.size(); o++) {
      long position = (o / inner) % depth;
      long outer = o / (inner * depth);
      long index = indices.getLong(outer * inner + o % inner);
      if (index < 0) {
        index += depth;
      }
      w.copyElement(values, index == position ? 1 : 0, o);
    }
    return List.of(w.build());
  }
}
