package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
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
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code ScatterND} (opset 13; {@code reduction} from opsets 16 and 18): a copy of input 0
 * where each row of the last axis of input 1 (length k) addresses a slice of the first k dims that
 * receives (or, with a reduction, is combined with) the matching slice of input 2. Updates have
 * shape {@code indices.shape[:-1] + data.shape[k:]}; rows are applied in order.
 */
final class ScatterNdOp extends OpSchema {
  static final ScatterNdOp INSTANCE = new ScatterNdOp();

  private ScatterNdOp() {
    super("ScatterND", 3, 3, 1, 1, List.of(AttrSpec.optional("reduction", Attribute.of("none"))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ctx.type(0);
    TensorType indices = ctx.type(1);
    TensorType updates = ctx.type(2);
    IntInputs.requireDType(indices, 1, "indices", DType.I64);
    ScatterBuffer.reduction(ctx, data.dtype());
    if (updates.dtype() != data.dtype()) {
      throw OpException.of("input 2 (updates) must have the element type of input 0 %s, got %s", data, updates);
    }
    int k = indexDepth(data, indices, 0);
    List<Dim> expected = new ArrayList<>(indices.shape().dims().subList(0, indices.rank() - 1));
    expected.addAll(data.shape().dims().subList(k, data.rank()));
    if (updates.rank() != expected.size()
        || DimMath.certainlyDifferentDims(updates.shape().dims(), expected)) {
      throw OpException.of(
          "input 2 (updates) must have shape %s (indices %s without its last dim, then data %s"
              + " after the %d indexed dims), got %s",
          Shape.of(expected), indices.shape(), data.shape(), k, updates);
    }
    return List.of(data);
  }

  /** The length k of index rows (the static last dim of indices), checked against the data rank. */
  static int indexDepth(TensorType data, TensorType indices, int batchDims) {
    if (indices.rank() < 1) {
      throw OpException.of("input 1 (indices) must have rank >= 1, got %s", indices);
    }
    Dim last = indices.shape().dim(indices.rank() - 1);
    if (!(last instanceof Dim.Known k)) {
      throw OpException.of(
          "the last dim of input 1 (indices) %s must be static: it decides the output rank", indices);
    }
    if (k.size() < 1 || k.size() > data.rank() - batchDims) {
      throw OpException.of(
          "the last dim of input 1 (indices) %s must be in [1, %d] to index input 0 %s",
          indices, data.rank() - batchDims, data);
    }
    return (int) k.size();
  }

  /** An index into a dim of size {@code size}, wrapped into {@code [0, size)}. */
  static long wrap(long index, long size, int axis, String role) {
    if (index < -size || index >= size) {
      throw OpException.of(
          "index %d in input 1 (%s) is out of range for dimension %d of input 0, of size %d",
          index, role, axis, size);
    }
    return index < 0 ? index + size : index;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    inferTypes(ic);
    Tensor data = ctx.input(0);
    Tensor indices = ctx.input(1);
    Tensor updates = ctx.input(2);
    ScatterBuffer out = new ScatterBuffer(data, ScatterBuffer.reduction(ic, data.dtype()));
    long[] in = data.shape();
    long[] strides = Shapes.strides(in);
    int k = (int) indices.dim(indices.rank() - 1);
    long rows = indices.size() / k;
    long slice = 1;
    for (int d = k; d < in.length; d++) {
      slice *= in[d];
    }
    for (long r = 0; r < rows; r++) {
      long base = 0;
      for (int j = 0; j < k; j++) {
        base += wrap(indices.getLong(r * k + j), in[j], j, "indices") * strides[j];
      }
      for (long e = 0; e < slice; e++) {
        out.put(base + e, updates, r * slice + e);
      }
    }
    return List.of(out.build());
  }
}
