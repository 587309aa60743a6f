package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code MaxPool} (opset 12): the maximum over each window, ignoring padding. The optional
 * second output Indices holds, for each maximum, the flat index of the chosen element in X (the
 * first maximum of its window), with the spatial part row-major ({@code storage_order} 0) or
 * column-major (1). A NaN in a window is its maximum, as for ReduceMax.
 */
final class MaxPool extends WindowPool {
  static final MaxPool INSTANCE = new MaxPool();

  private MaxPool() {
    super(
        "MaxPool",
        2,
        List.of(
            AttrSpec.optional("dilations", AttributeKind.INTS),
            AttrSpec.optional("storage_order", Attribute.of(0L))),
        DType.F16,
        DType.F32,
        DType.F64,
        DType.I8,
        DType.U8);
  }

  @Override
  void checkAttributes(Attributes attrs, SlidingWindow window) {
    NnChecks.flag(attrs.getInt("storage_order", 0), "storage_order");
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    SlidingWindow window = window(ctx.attrs(), x.rank());
    boolean columnMajor = NnChecks.flag(ctx.attrs().getInt("storage_order", 0), "storage_order");
    Pooling pooling = new Pooling(x, window);
    long[] inSpatial = pooling.inSpatial();
    long inPlane = pooling.inPlane();
    long outPlane = pooling.outPlane();
    long[] outShape = pooling.outputShape();
    TensorWriter values = TensorWriter.of(x.dtype(), outShape);
    TensorWriter indices = TensorWriter.of(DType.I64, outShape);
    long[] coords = new long[inSpatial.length];
    pooling.forEachWindow((p, o, position, tapOffsets) -> {
      double best = Double.NEGATIVE_INFINITY;
      long bestAt = -1;
      for (long at : tapOffsets) {
        if (at < 0) {
          continue;
        }
        double v = x.getDouble(p * inPlane + at);
        if (bestAt < 0 || (!Double.isNaN(best) && (v > best || Double.isNaN(v)))) {
          best = v;
          bestAt = at;
        }
      }
      if (bestAt < 0) {
        // Possible only when dilation spreads the taps around the whole input.
        throw OpException.of(
            "the MaxPool window at output position %s sees only padding: its taps fall outside"
                + " input 0 (X) %s",
            Arrays.toString(position), x.type());
      }
      values.setDouble(p * outPlane + o, best);
      if (columnMajor) {
        NdIndex.unravel(bestAt, inSpatial, coords);
        bestAt = NdIndex.columnMajor(coords, inSpatial);
      }
      indices.setLong(p * outPlane + o, p * inPlane + bestAt);
    });
    List<Tensor> out = new ArrayList<>(List.of(values.build()));
    if (ctx.outputCount() == 2) {
      out.add(indices.build());
    }
    return out;
  }
}
