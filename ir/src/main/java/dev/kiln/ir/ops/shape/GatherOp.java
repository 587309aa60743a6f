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
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Gather} (opset 13): picks slices of input 0 along {@code axis} by the indices of
 * input 1. The output shape is {@code data[:axis] + indices + data[axis+1:]}; negative indices
 * count from the end.
 */
final class GatherOp extends OpSchema {
  static final GatherOp INSTANCE = new GatherOp();

  private GatherOp() {
    super("Gather", 2, 2, 1, 1, List.of(AttrSpec.optional("axis", Attribute.of(0L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ctx.type(0);
    TensorType indices = IntInputs.indices(ctx, 1);
    if (data.rank() == 0) {
      throw OpException.of("input 0 (data) must have rank >= 1, got %s", data);
    }
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), data.rank(), "axis");
    Dim dim = data.shape().dim(axis);
    Optional<Tensor> known = ctx.constant(1);
    if (known.isPresent() && dim instanceof Dim.Known k) {
      for (long i = 0; i < known.get().size(); i++) {
        checkIndex(known.get().getLong(i), k.size(), axis);
      }
    }
    List<Dim> dims = new ArrayList<>(data.shape().dims().subList(0, axis));
    dims.addAll(indices.shape().dims());
    dims.addAll(data.shape().dims().subList(axis + 1, data.rank()));
    return List.of(new TensorType(data.dtype(), Shape.of(dims)));
  }

  /** The index wrapped into {@code [0, size)}; throws when it is outside {@code [-size, size)}. */
  static long checkIndex(long index, long size, int axis) {
    if (index < -size || index >= size) {
      throw OpException.of(
          "index %d in input 1 (indices) is out of range for dimension %d of input 0, of size %d",
          index, axis, size);
    }
    return index < 0 ? index + size : index;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    Tensor data = ctx.input(0);
    Tensor indices = ctx.input(1);
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), data.rank(), "axis");
    long[] in = data.shape();
    // Row-major, data is `outer` x dim(axis) x `inner` and the output `outer` x indices x
    // `inner`: each (outer, index) pair copies one contiguous block of `inner` elements.
    long outer = Shapes.size(Arrays.copyOfRange(in, 0, axis));
    long inner = Shapes.size(Arrays.copyOfRange(in, axis + 1, in.length));
    long count = indices.size();
    TensorWriter w = TensorWriter.of(data.dtype(), Layout.sizes(outType));
    for (long i = 0; i < count; i++) {
      long index = checkIndex(indices.getLong(i), in[axis], axis);
      for (long o = 0; o < outer; o++) {
        long from = (o * in[axis] + index) * inner;
        long to = (o * count + i) * inner;
        for (long e = 0; e < inner; e++) {
          w.copyElement(data, from + e, to + e);
        }
      }
    }
    return List.of(w.build());
  }
}
