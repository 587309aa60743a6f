package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Split}: cuts input 0 along {@code axis} into one piece per output. The piece sizes
 * come from the {@code split} input (opset 13), the {@code split} attribute (opset 11), or else
 * are equal: {@code ceil(dim / n)} each with a smaller last piece (opset 18, where {@code
 * num_outputs} gives n; before it, n is the output count and the split must be even, which this
 * rule accepts as a special case).
 */
final class SplitOp extends OpSchema {
  static final SplitOp INSTANCE = new SplitOp();

  private SplitOp() {
    super(
        "Split",
        1,
        2,
        1,
        VARIADIC,
        List.of(
            AttrSpec.optional("axis", Attribute.of(0L)),
            AttrSpec.optional("num_outputs", AttributeKind.INT),
            AttrSpec.optional("split", AttributeKind.INTS)));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The split sizes decide the output shapes.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    if (x.rank() == 0) {
      throw OpException.of("input 0 must have rank >= 1 to be split, got %s", x);
    }
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), x.rank(), "axis");
    int n = ctx.outputCount();
    Dim dim = x.shape().dim(axis);
    List<Dim> pieces = pieces(ctx, dim, n);
    List<TensorType> out = new ArrayList<>();
    for (Dim piece : pieces) {
      List<Dim> dims = new ArrayList<>(x.shape().dims());
      dims.set(axis, piece);
      out.add(new TensorType(x.dtype(), Shape.of(dims)));
    }
    return out;
  }

  /** The size of each piece along the axis. */
  private static List<Dim> pieces(InferenceContext ctx, Dim dim, int n) {
    boolean splitInput = ctx.hasInput(1);
    boolean splitAttr = ctx.attrs().has("split");
    boolean numOutputs = ctx.attrs().has("num_outputs");
    if (splitInput && splitAttr) {
      throw OpException.of("give the sizes either as input 1 (split) or attribute 'split', not both");
    }
    if ((splitInput || splitAttr) && numOutputs) {
      throw OpException.of("give either split sizes or attribute 'num_outputs', not both");
    }
    Optional<long[]> sizes;
    String source;
    if (splitInput) {
      int length = IntInputs.length1D(ctx, 1, "split", DType.I64);
      if (length >= 0 && length != n) {
        throw OpException.of(
            "input 1 (split) must give one size per output (%d), got %s", n, ctx.type(1));
      }
      sizes = IntInputs.values(ctx, 1);
      source = "input 1 (split)";
    } else if (splitAttr) {
      sizes = ctx.attrs().getInts("split");
      source = "attribute 'split'";
    } else {
      return equalPieces(ctx, dim, n);
    }
    if (sizes.isEmpty()) {
      return DimMath.unknown(n);
    }
    long[] s = sizes.get();
    if (s.length != n) {
      throw OpException.of(
          "%s = %s must give one size per output (%d)", source, Arrays.toString(s), n);
    }
    long total = 0;
    List<Dim> out = new ArrayList<>();
    for (long v : s) {
      if (v < 0) {
        throw OpException.of("%s = %s has a negative size", source, Arrays.toString(s));
      }
      total += v;
      out.add(Dim.of(v));
    }
    if (dim instanceof Dim.Known k && k.size() != total) {
      throw OpException.of(
          "%s = %s adds up to %d, but the split dimension has size %d",
          source, Arrays.toString(s), total, k.size());
    }
    return out;
  }

  private static List<Dim> equalPieces(InferenceContext ctx, Dim dim, int n) {
    long count = ctx.attrs().getInt("num_outputs", n);
    if (count != n) {
      throw OpException.of("attribute 'num_outputs' = %d, but the node has %d outputs", count, n);
    }
    if (!(dim instanceof Dim.Known k)) {
      return DimMath.unknown(n);
    }
    long chunk = (k.size() + n - 1) / n;
    long last = k.size() - chunk * (n - 1);
    if (last < 0) {
      throw OpException.of(
          "cannot split dimension of size %d into %d pieces of at most %d", k.size(), n, chunk);
    }
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Dim.of(i == n - 1 ? last : chunk));
    }
    return out;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    List<TensorType> types = inferTypes(Layout.asInference(ctx));
    Tensor x = ctx.input(0);
    int axis = IntInputs.axis(ctx.attrs().getInt("axis", 0), x.rank(), "axis");
    long[] inStrides = Shapes.strides(x.shape());
    List<Tensor> out = new ArrayList<>();
    long start = 0;
    for (TensorType t : types) {
      long[] shape = Layout.sizes(t);
      out.add(Layout.strided(x, shape, start * inStrides[axis], inStrides));
      start += shape[axis];
    }
    return out;
  }
}
