package dev.kiln.ir.ops.nn;

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
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code MeanVarianceNormalization} (opset 13): {@code (X - mean) / (sqrt(var) + 1e-9)} with
 * the mean and population variance over {@code axes} (default [0, 2, 3], per channel of an
 * NCHW batch). The 1e-9 is the epsilon of the operator's ONNX function body.
 */
final class MeanVarianceNormalization extends OpSchema {
  static final MeanVarianceNormalization INSTANCE = new MeanVarianceNormalization();

  /** The epsilon the ONNX function body adds to the standard deviation. */
  static final double EPSILON = 1e-9;

  private MeanVarianceNormalization() {
    super(
        "MeanVarianceNormalization",
        1,
        1,
        1,
        1,
        List.of(AttrSpec.optional("axes", Attribute.ints(0, 2, 3))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireDType(0, DType.F16, DType.BF16, DType.F32, DType.F64);
    reducedAxes(axes(ctx.attrs()), x.rank());
    return List.of(x);
  }

  /** The {@code axes} attribute, or its default [0, 2, 3]. */
  static long[] axes(dev.kiln.ir.graph.Attributes attrs) {
    return attrs.getInts("axes").orElse(new long[] {0, 2, 3});
  }

  /** Which dims the statistics run over. */
  static boolean[] reducedAxes(long[] axes, int rank) {
    boolean[] reduced = new boolean[rank];
    for (long a : axes) {
      int axis = Shapes.normalizeAxis(a, rank, "attribute 'axes'");
      if (reduced[axis]) {
        throw OpException.of("attribute 'axes' names axis %d twice", axis);
      }
      reduced[axis] = true;
    }
    return reduced;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long[] shape = x.shape();
    boolean[] reduced = reducedAxes(axes(ctx.attrs()), x.rank());
    // Each element's group: its index over the kept dims.
    long[] group = new long[(int) x.size()];
    int groups = 1;
    for (int d = 0; d < shape.length; d++) {
      groups *= reduced[d] ? 1 : (int) shape[d];
    }
    for (long i = 0; i < x.size(); i++) {
      long rest = i;
      long g = 0;
      long scale = 1;
      for (int d = shape.length - 1; d >= 0; d--) {
        long at = rest % shape[d];
        rest /= shape[d];
        if (!reduced[d]) {
          g += at * scale;
          scale *= shape[d];
        }
      }
      group[(int) i] = g;
    }
    double count = groups == 0 ? 0 : x.size() / (double) groups;
    double[] mean = new double[groups];
    for (long i = 0; i < x.size(); i++) {
      mean[(int) group[(int) i]] += x.getDouble(i) / count;
    }
    double[] variance = new double[groups];
    for (long i = 0; i < x.size(); i++) {
      double d = x.getDouble(i) - mean[(int) group[(int) i]];
      variance[(int) group[(int) i]] += d * d / count;
    }
    TensorWriter out = TensorWriter.of(x.dtype(), shape);
    for (long i = 0; i < x.size(); i++) {
      int g = (int) group[(int) i];
      out.setDouble(i, (x.getDouble(i) - mean[g]) / (Math.sqrt(variance[g]) + EPSILON));
    }
    return List.of(out.build());
  }
}
