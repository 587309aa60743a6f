package dev.kiln.ir.ops.nn;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code GlobalAveragePool} and {@code GlobalMaxPool} (opset 1): the mean or maximum over
 * all spatial dims of [N, C, D1, ...], kept as 1: [N, C, 1, ...].
 */
final class GlobalPool extends OpSchema {
  static final GlobalPool AVERAGE = new GlobalPool("GlobalAveragePool", false);
  static final GlobalPool MAX = new GlobalPool("GlobalMaxPool", true);

  private final boolean max;

  private GlobalPool(String name, boolean max) {
    super(name, 1, 1, 1, 1, List.of());
    this.max = max;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x =
        NnChecks.requireImage(ctx.requireDType(0, DType.F16, DType.BF16, DType.F32, DType.F64), 1);
    List<Dim> out = new ArrayList<>(List.of(x.shape().dim(0), x.shape().dim(1)));
    for (int i = 2; i < x.rank(); i++) {
      out.add(Dim.of(1));
    }
    return List.of(new TensorType(x.dtype(), Shape.of(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long[] outShape = new long[x.rank()];
    Arrays.fill(outShape, 1);
    outShape[0] = x.dim(0);
    outShape[1] = x.dim(1);
    long planes = x.dim(0) * x.dim(1);
    long plane = NdIndex.size(NnChecks.spatialSizes(x.shape()));
    TensorWriter out = TensorWriter.of(x.dtype(), outShape);
    for (long p = 0; p < planes; p++) {
      double acc = max ? Double.NEGATIVE_INFINITY : 0;
      for (long i = 0; i < plane; i++) {
        double v = x.getDouble(p * plane + i);
        if (!max) {
          acc += v;
        } else if (Double.isNaN(v) || v > acc) { // NaN wins and stays: v > NaN is false
          acc = v;
        }
      }
      // An empty plane averages to NaN (0 / 0) and has maximum -inf, as ReduceMean/ReduceMax.
      out.setDouble(p, max ? acc : acc / plane);
    }
    return List.of(out.build());
  }
}
