package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code GatherElements} (opset 13): {@code out[i][j] = data[indices[i][j]][j]} for axis 0,
 * and likewise for other axes. Indices have the rank of data; the output has their shape. Off the
 * axis, an indices dim may not exceed the data's dim.
 */
final class GatherElementsOp extends OpSchema {
  static final GatherElementsOp INSTANCE = new GatherElementsOp();

  private GatherElementsOp() {
    super("GatherElements", 2, 2, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(0L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ctx.type(0);
    TensorType indices = IntInputs.indices(ctx, 1);
    if (data.rank() == 0 || indices.rank() != data.rank()) {
      throw OpException.of(
          "input 1 (indices) %s must have the rank of input 0 (data) %s, at least 1",
          indices, data);
    }
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), data.rank(), "axis");
    requireIndicesWithinData(indices, data, axis);
    return List.of(new TensorType(data.dtype(), indices.shape()));
  }

  /**
   * Off {@code axis}, no dim of input 1 (indices) may exceed the data's (the rule of
   * GatherElements and ScatterElements, whose indices have the data's rank).
   */
  static void requireIndicesWithinData(TensorType indices, TensorType data, int axis) {
    for (int d = 0; d < data.rank(); d++) {
      if (d != axis
          && data.shape().dim(d) instanceof Dim.Known dk
          && indices.shape().dim(d) instanceof Dim.Known ik
          && ik.size() > dk.size()) {
        throw OpException.of(
            "input 1 (indices) %s is larger than input 0 (data) %s in dimension %d",
            indices, data, d);
      }
    }
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    Tensor data = ctx.input(0);
    Tensor indices = ctx.input(1);
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), data.rank(), "axis");
    long[] in = data.shape();
    long[] inStrides = Shapes.strides(in);
    long[] out = Layout.sizes(outType);
    TensorWriter w = TensorWriter.of(data.dtype(), out);
    for (long o = 0; o < w.size(); o++) {
      long[] coords = Layout.unravel(o, out);
      coords[axis] = GatherOp.checkIndex(indices.getLong(o), in[axis], axis);
      w.copyElement(data, Layout.offset(coords, inStrides), o);
    }
    return List.of(w.build());
  }
}
