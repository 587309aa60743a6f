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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code TopK} (opset 11): the {@code K} largest ({@code largest = 1}, the default) or
 * smallest elements along {@code axis} (default -1), as Values and their i64 Indices. {@code K}
 * is the one-element input 1. Results are always sorted (best first), which {@code sorted = 0}
 * allows; equal values keep their index order, and a NaN counts as larger than any number (first
 * among the largest, last among the smallest).
 */
final class TopK extends OpSchema {
  static final TopK INSTANCE = new TopK();

  private TopK() {
    super(
        "TopK",
        2,
        2,
        2,
        2,
        List.of(
            AttrSpec.optional("axis", Attribute.of(-1L)),
            AttrSpec.optional("largest", Attribute.of(1L)),
            AttrSpec.optional("sorted", Attribute.of(1L))));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // K is the size of the outputs' axis.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireNumeric(0);
    int axis = axis(ctx.attrs().getInt("axis", -1), x.rank());
    CumSum.flag(ctx.attrs().getInt("largest", 1), "largest");
    CumSum.flag(ctx.attrs().getInt("sorted", 1), "sorted");
    TensorType k = ctx.type(1);
    boolean oneElement = k.rank() == 1 && (!k.shape().dim(0).isKnown()
        || k.shape().dim(0).size() == 1);
    if (k.dtype() != DType.I64 || !(oneElement || k.rank() == 0)) {
      throw OpException.of("input 1 (K) must be an i64 tensor of one element, got %s", k);
    }
    Optional<Tensor> known = ctx.constant(1);
    Dim kDim = Dim.UNKNOWN;
    if (known.isPresent()) {
      Dim n = x.shape().dim(axis);
      kDim = Dim.of(k(known.get(), n.isKnown() ? n.size() : Long.MAX_VALUE, axis));
    }
    List<Dim> dims = new ArrayList<>(x.shape().dims());
    dims.set(axis, kDim);
    Shape out = Shape.of(dims);
    return List.of(new TensorType(x.dtype(), out), new TensorType(DType.I64, out));
  }

  private static int axis(long axis, int rank) {
    return Shapes.normalizeAxis(axis, rank, "attribute 'axis'");
  }

  private static long k(Tensor k, long available, int axis) {
    long v = k.getLong(0);
    if (v < 0 || v > available) {
      throw OpException.of("input 1 (K) = %d must be in [0, %d], the size of axis %d", v,
          available, axis);
    }
    return v;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long[] shape = x.shape();
    int axis = axis(ctx.attrs().getInt("axis", -1), x.rank());
    boolean largest = CumSum.flag(ctx.attrs().getInt("largest", 1), "largest");
    long n = shape[axis];
    long k = k(ctx.input(1), n, axis);
    long inner = Shapes.size(Arrays.copyOfRange(shape, axis + 1, shape.length));
    long outer = n * inner == 0 ? 0 : x.size() / (n * inner);
    long[] outShape = shape.clone();
    outShape[axis] = k;
    TensorWriter values = TensorWriter.of(x.dtype(), outShape);
    TensorWriter indices = TensorWriter.of(DType.I64, outShape);
    boolean real = x.dtype().isFloating();
    boolean unsigned = !x.dtype().isSigned();
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        long base = o * n * inner + i;
        Comparator<Long> order = real ? realOrder(x, base, inner)
            : (a, b) -> Reducer.compare(x.getLong(base + a * inner), x.getLong(base + b * inner),
                unsigned);
        Comparator<Long> best = (largest ? order.reversed() : order).thenComparing(a -> a);
        List<Long> positions = new ArrayList<>();
        for (long j = 0; j < n; j++) {
          positions.add(j);
        }
        positions.sort(best);
        for (long r = 0; r < k; r++) {
          long from = base + positions.get((int) r) * inner;
          long to = o * k * inner + r * inner + i;
          values.copyElement(x, from, to);
          indices.setLong(to, positions.get((int) r));
        }
      }
    }
    return List.of(values.build(), indices.build());
  }

  /** Reals by value, equal when {@code ==} says so (so 0 and -0 tie), NaN above everything. */
  private static Comparator<Long> realOrder(Tensor x, long base, long inner) {
    return (a, b) -> {
      double u = x.getDouble(base + a * inner);
      double v = x.getDouble(base + b * inner);
      if (Double.isNaN(u) || Double.isNaN(v)) {
        return Boolean.compare(Double.isNaN(u), Double.isNaN(v));
      }
      return u < v ? -1 : u > v ? 1 : 0;
    };
  }
}
