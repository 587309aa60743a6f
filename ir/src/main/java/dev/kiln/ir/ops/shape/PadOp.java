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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Pad} (opsets 13 to 19): input 1 holds {@code [x1_begin, x2_begin, ..., x1_end,
 * x2_end, ...]} for every axis, or for the axes of the optional input 3 (opset 18). Negative pads
 * crop. Modes: {@code constant} (input 2, default 0), {@code reflect} (mirror without repeating
 * the edge; pads wider than the axis keep reflecting, as in NumPy and the spec's own example),
 * {@code edge} (repeat the edge) and {@code wrap} (opset 19, periodic). Padding applies to the
 * input after cropping, as in ONNX Runtime.
 */
final class PadOp extends OpSchema {
  static final PadOp INSTANCE = new PadOp();

  private static final List<String> MODES = List.of("constant", "reflect", "edge", "wrap");

  private PadOp() {
    super("Pad", 2, 4, 1, 1, List.of(AttrSpec.optional("mode", Attribute.of("constant"))));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Pads and axes decide the output shape; the fill value does not.
    return slot == 1 || slot == 3;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int rank = x.rank();
    String mode = mode(ctx);
    int padsLength = IntInputs.length1D(ctx, 1, "pads", DType.I64);
    if (ctx.hasInput(2)) {
      IntInputs.requireScalar(ctx, 2, "constant_value", x.dtype());
    }
    AxesArgument axesArg = AxesArgument.of(ctx, 3, false, DType.I32, DType.I64);
    int axisCount = axesArg.given() ? axesArg.count() : rank;
    if (padsLength >= 0 && axisCount >= 0 && padsLength != 2 * axisCount) {
      throw OpException.of(
          "input 1 (pads) %s must have 2 values per padded axis (%d), got %d",
          ctx.type(1), 2 * axisCount, padsLength);
    }
    Optional<int[]> axes = padded(axesArg, rank);
    if (axes.isEmpty()) {
      return List.of(new TensorType(x.dtype(), Shape.of(DimMath.unknown(rank))));
    }
    Optional<long[]> pads = IntInputs.values(ctx, 1);
    List<Dim> dims = new ArrayList<>(x.shape().dims());
    int n = axes.get().length;
    for (int k = 0; k < n; k++) {
      int axis = axes.get()[k];
      Dim d = dims.get(axis);
      if (pads.isEmpty()) {
        dims.set(axis, Dim.UNKNOWN);
        continue;
      }
      long begin = pads.get()[k];
      long end = pads.get()[k + n];
      if (d instanceof Dim.Known known) {
        dims.set(axis, Dim.of(padded(known.size(), begin, end, axis, mode, pads.get())));
      } else if (begin != 0 || end != 0) {
        dims.set(axis, Dim.UNKNOWN);
      }
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  private static String mode(InferenceContext ctx) {
    String mode = ctx.attrs().getString("mode", "constant");
    if (!MODES.contains(mode)) {
      throw OpException.of("attribute 'mode' must be one of %s, got '%s'", MODES, mode);
    }
    return mode;
  }

  /** The padded axes in the order of the pads, or empty when not known at compile time. */
  private static Optional<int[]> padded(AxesArgument axes, int rank) {
    if (!axes.given()) {
      int[] all = new int[rank];
      Arrays.setAll(all, i -> i);
      return Optional.of(all);
    }
    return axes.values().map(v -> IntInputs.normalizeAxes(v, rank, axes.source()));
  }

  /** The padded size of one axis, checking that the mode can produce it. */
  private static long padded(long dim, long begin, long end, int axis, String mode, long[] pads) {
    long kept = dim + Math.min(begin, 0) + Math.min(end, 0);
    if (kept < 0) {
      throw OpException.of(
          "input 1 (pads) = %s crops axis %d of size %d by more than its size",
          Arrays.toString(pads), axis, dim);
    }
    long grow = Math.max(begin, 0) + Math.max(end, 0);
    if (grow > 0 && kept == 0 && !mode.equals("constant")) {
      throw OpException.of(
          "cannot pad an empty axis %d in mode '%s'", axis, mode);
    }
    return kept + grow;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    long[] out = Layout.sizes(inferTypes(ic).get(0));
    String mode = mode(ic);
    Tensor x = ctx.input(0);
    long[] in = x.shape();
    int[] axes = padded(AxesArgument.of(ic, 3, false, DType.I32, DType.I64), in.length).orElseThrow();
    long[] pads = ctx.input(1).toLongArray();
    // Per axis: the first kept input element, how many are kept, and the padding before them.
    long[] first = new long[in.length];
    long[] kept = in.clone();
    long[] before = new long[in.length];
    for (int k = 0; k < axes.length; k++) {
      long begin = pads[k];
      long end = pads[k + axes.length];
      first[axes[k]] = Math.max(0, -begin);
      kept[axes[k]] = in[axes[k]] + Math.min(begin, 0) + Math.min(end, 0);
      before[axes[k]] = Math.max(0, begin);
    }
    long[] inStrides = Shapes.strides(in);
    TensorWriter w = TensorWriter.of(x.dtype(), out);
    Optional<Tensor> fill = ctx.optionalInput(2).filter(t -> t.size() > 0);
    long[] coords = new long[in.length];
    for (long o = 0; o < w.size(); o++) {
      long[] oc = Layout.unravel(o, out);
      boolean inside = true;
      for (int d = 0; d < in.length; d++) {
        long j = source(oc[d] - before[d], kept[d], mode);
        inside &= j >= 0;
        coords[d] = first[d] + j;
      }
      if (inside) {
        w.copyElement(x, Layout.offset(coords, inStrides), o);
      } else if (fill.isPresent()) {
        w.copyElement(fill.get(), 0, o);
      }
    }
    return List.of(w.build());
  }

  /**
   * Which of the {@code kept} elements output position {@code j} (relative to the first kept
   * element) reads, or -1 for the constant.
   */
  private static long source(long j, long kept, String mode) {
    if (j >= 0 && j < kept) {
      return j;
    }
    return switch (mode) {
      case "edge" -> Math.max(0, Math.min(kept - 1, j));
      case "wrap" -> Math.floorMod(j, kept);
      case "reflect" -> {
        if (kept == 1) {
          yield 0;
        }
        long period = 2 * (kept - 1);
        long r = Math.floorMod(j, period);
        yield r < kept ? r : period - r;
      }
      default -> -1;
    };
  }
}
