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
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code GatherND} (opset 13): each row of the last axis of input 1 (length k) indexes the
 * first k non-batch dims of input 0 and picks the slice below them. The first {@code batch_dims}
 * dims of data and indices are shared batch dims. Output shape: {@code indices.shape[:-1] +
 * data.shape[batch_dims + k:]}. Negative indices count from the end.
 */
final class GatherNdOp extends OpSchema {
  static final GatherNdOp INSTANCE = new GatherNdOp();

  private GatherNdOp() {
    super("GatherND", 2, 2, 1, 1, List.of(AttrSpec.optional("batch_dims", Attribute.of(0L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ctx.type(0);
    TensorType indices = ctx.type(1);
    IntInputs.requireDType(indices, 1, "indices", DType.I64);
    int b = batchDims(ctx, data, indices);
    int k = ScatterNdOp.indexDepth(data, indices, b);
    List<Dim> dims = new ArrayList<>(indices.shape().dims().subList(0, indices.rank() - 1));
    dims.addAll(data.shape().dims().subList(b + k, data.rank()));
    return List.of(new TensorType(data.dtype(), Shape.of(dims)));
  }

  private static int batchDims(InferenceContext ctx, TensorType data, TensorType indices) {
    long b = ctx.attrs().getInt("batch_dims", 0);
    if (b < 0 || b >= Math.min(data.rank(), indices.rank())) {
      throw OpException.of(
          "attribute 'batch_dims' = %d must be in [0, %d) for input 0 %s and input 1 (indices) %s",
          b, Math.min(data.rank(), indices.rank()), data, indices);
    }
    for (int i = 0; i < b; i++) {
      Dim d = data.shape().dim(i);
      Dim n = indices.shape().dim(i);
      if (d instanceof Dim.Known && n instanceof Dim.Known && !d.equals(n)) {
        throw OpException.of(
            "batch dimension %d of input 1 (indices) %s does not match input 0 %s", i, indices, data);
      }
    }
    return (int) b;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    var ic = Layout.asInference(ctx);
    long[] out = Layout.sizes(inferTypes(ic).get(0));
    Tensor data = ctx.input(0);
    Tensor indices = ctx.input(1);
    int b = batchDims(ic, data.type(), indices.type());
    long[] in = data.shape();
    long[] inStrides = Shapes.strides(in);
    int k = (int) indices.dim(indices.rank() - 1);
    int lead = indices.rank() - 1;
    TensorWriter w = TensorWriter.of(data.dtype(), out);
    long[] coords = new long[in.length];
    for (long o = 0; o < w.size(); o++) {
      long[] oc = Layout.unravel(o, out);
      long row = 0;
      for (int i = 0; i < lead; i++) {
        row = row * indices.dim(i) + oc[i];
      }
      System.arraycopy(oc, 0, coords, 0, b);
      for (int j = 0; j < k; j++) {
        coords[b + j] =
            ScatterNdOp.wrap(indices.getLong(row * k + j), in[b + j], b + j, "indices");
      }
      System.arraycopy(oc, lead, coords, b + k, in.length - b - k);
      w.copyElement(data, Layout.offset(coords, inStrides), o);
    }
    return List.of(w.build());
  }
}
