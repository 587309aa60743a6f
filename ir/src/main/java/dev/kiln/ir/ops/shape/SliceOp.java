package dev.kiln.ir.ops.shape;

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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Slice} (opset 13): inputs data, starts, ends, optional axes (default the first
 * {@code len(starts)} axes) and steps (default 1). Negative starts and ends count from the end of
 * the dim; both are then clamped ({@code [0, dim]} for positive steps, {@code [-1, dim-1]} for the
 * end and {@code [0, dim-1]} for the start of negative steps), so huge values such as INT64_MAX
 * mean "to the end".
 */
public final class SliceOp extends OpSchema {
  static final SliceOp INSTANCE = new SliceOp();

  private static final DType[] INDEX_TYPES = {DType.I32, DType.I64};

  private SliceOp() {
    super("Slice", 3, 5, 1, 1, List.of());
  }

  /** The slice of one axis after normalization: first index, step, and element count. */
  public record AxisSlice(long start, long step, long count) {}

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Starts, ends, axes and steps decide the output shape.
    return slot >= 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int rank = x.rank();
    int n = IntInputs.length1D(ctx, 1, "starts", INDEX_TYPES);
    checkLength(ctx, 2, "ends", n);
    if (ctx.hasInput(3)) {
      checkLength(ctx, 3, "axes", n);
    }
    if (ctx.hasInput(4)) {
      checkLength(ctx, 4, "steps", n);
    }
    List<Dim> dims = new ArrayList<>(x.shape().dims());
    Optional<int[]> axes = axes(ctx, n, rank);
    if (axes.isEmpty()) {
      // Which axes are sliced is unknown, so every dim may change.
      return List.of(new TensorType(x.dtype(), Shape.of(DimMath.unknown(rank))));
    }
    Optional<long[]> starts = IntInputs.values(ctx, 1);
    Optional<long[]> ends = IntInputs.values(ctx, 2);
    Optional<long[]> steps = ctx.hasInput(4) ? IntInputs.values(ctx, 4) : Optional.of(ones(axes.get().length));
    checkSteps(steps);
    for (int k = 0; k < axes.get().length; k++) {
      int axis = axes.get()[k];
      Dim dim = dims.get(axis);
      if (starts.isEmpty() || ends.isEmpty() || steps.isEmpty()) {
        dims.set(axis, Dim.UNKNOWN);
      } else if (dim instanceof Dim.Known known) {
        dims.set(axis, Dim.of(slice(known.size(), starts.get()[k], ends.get()[k], steps.get()[k]).count()));
      } else if (!isWhole(starts.get()[k], ends.get()[k], steps.get()[k])) {
        // Without its size, a symbolic dim keeps its name only when sliced whole.
        dims.set(axis, Dim.UNKNOWN);
      }
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  /** Whether the slice takes every element of a dim of any size (forward or reversed). */
  private static boolean isWhole(long start, long end, long step) {
    return (start == 0 && step == 1 && end >= Integer.MAX_VALUE)
        || (start == -1 && step == -1 && end <= Integer.MIN_VALUE);
  }

  private static void checkLength(InferenceContext ctx, int i, String role, int startsLength) {
    int n = IntInputs.length1D(ctx, i, role, INDEX_TYPES);
    if (n >= 0 && startsLength >= 0 && n != startsLength) {
      throw OpException.of(
          "input %d (%s) must have as many values as input 1 (starts) %s, got %s",
          i, role, ctx.type(1), ctx.type(i));
    }
  }

  /** The sliced axes, or empty when they are not known at compile time. */
  private static Optional<int[]> axes(InferenceContext ctx, int n, int rank) {
    if (!ctx.hasInput(3)) {
      if (n < 0) {
        return Optional.empty();
      }
      if (n > rank) {
        throw OpException.of(
            "input 1 (starts) %s slices more axes than input 0 %s has", ctx.type(1), ctx.type(0));
      }
      int[] axes = new int[n];
      Arrays.setAll(axes, i -> i);
      return Optional.of(axes);
    }
    return IntInputs.values(ctx, 3).map(a -> IntInputs.normalizeAxes(a, rank, "input 3 (axes)"));
  }

  private static void checkSteps(Optional<long[]> steps) {
    if (steps.isPresent()) {
      for (long s : steps.get()) {
        if (s == 0) {
          throw OpException.of("input 4 (steps) = %s has a 0 step", Arrays.toString(steps.get()));
        }
      }
    }
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    Arrays.fill(a, 1);
    return a;
  }

  /** ONNX's normalization of one axis' start, end and step against a dim of size {@code dim}. */
  public static AxisSlice slice(long dim, long start, long end, long step) {
    if (start < 0) {
      start += dim;
    }
    if (end < 0) {
      end += dim;
    }
    if (step > 0) {
      start = clamp(start, 0, dim);
      end = clamp(end, 0, dim);
    } else {
      start = clamp(start, 0, dim - 1);
      end = clamp(end, -1, dim - 1);
    }
    if (dim == 0) {
      return new AxisSlice(0, step, 0);
    }
    // A span of the wrong sign for the step gives a negative count: 0 elements.
    long count = Math.ceilDiv(end - start, step);
    return new AxisSlice(start, step, Math.max(0, count));
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType outType = inferTypes(Layout.asInference(ctx)).get(0);
    Tensor x = ctx.input(0);
    long[] in = x.shape();
    long[] first = new long[in.length];
    long[] step = ones(in.length);
    long[] starts = ctx.input(1).toLongArray();
    long[] ends = ctx.input(2).toLongArray();
    long[] steps = ctx.hasInput(4) ? ctx.input(4).toLongArray() : ones(starts.length);
    int[] axes = axes(Layout.asInference(ctx), starts.length, in.length).orElseThrow();
    for (int k = 0; k < axes.length; k++) {
      AxisSlice s = slice(in[axes[k]], starts[k], ends[k], steps[k]);
      first[axes[k]] = s.start();
      step[axes[k]] = s.step();
    }
    long[] inStrides = Shapes.strides(in);
    long[] strides = new long[in.length];
    for (int d = 0; d < in.length; d++) {
      strides[d] = step[d] * inStrides[d];
    }
    return List.of(Layout.strided(x, Layout.sizes(outType), Layout.offset(first, inStrides), strides));
  }
}
