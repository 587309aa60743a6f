package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One of the ONNX {@code Reduce*} operators (opsets 13 to 18): reduces the input over {@code axes}
 * with its {@link Reducer}. The axes come from the {@code axes} attribute (opsets before 18, and
 * ReduceSum before 13) or from optional input 1 (ReduceSum 13+, all of them 18+); both forms are
 * accepted for every reduction. Empty axes reduce over everything, unless
 * {@code noop_with_empty_axes} is 1, which makes the operator an identity.
 */
final class Reduce extends OpSchema {
  private static final DType[] NUMERIC = {
    DType.F16, DType.BF16, DType.F32, DType.F64, DType.I32, DType.I64, DType.U32, DType.U64
  };
  private static final DType[] NUMERIC_AND_BYTES = {
    DType.F16, DType.BF16, DType.F32, DType.F64, DType.I32, DType.I64, DType.U32, DType.U64,
    DType.I8, DType.U8
  };

  private final Reducer reducer;

  Reduce(Reducer reducer) {
    super(
        reducer.opName,
        1,
        2,
        1,
        1,
        List.of(
            AttrSpec.optional("axes", AttributeKind.INTS),
            AttrSpec.optional("keepdims", Attribute.of(1L)),
            AttrSpec.optional("noop_with_empty_axes", Attribute.of(0L))));
    this.reducer = reducer;
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The axes (opset 18 input, ReduceSum since 13) decide the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    // ONNX allows 8-bit integers only for the order-based reductions.
    TensorType in =
        reducer == Reducer.MAX || reducer == Reducer.MIN
            ? ctx.requireDType(0, NUMERIC_AND_BYTES)
            : ctx.requireDType(0, NUMERIC);
    boolean keepDims = keepDims(ctx.attrs().getInt("keepdims", 1));
    Optional<long[]> axes = ReduceAxes.fromInference(ctx);
    Dim axesLength = axes.isEmpty() ? ctx.type(1).shape().dim(0) : Dim.of(axes.get().length);
    if (axes.isEmpty() && axesLength.equals(Dim.of(0))) {
      // An empty axes input has no values to wait for.
      axes = Optional.of(new long[0]);
    }
    if (axes.isEmpty()) {
      // Without the values, only the rank is known: kept, or less by the number of axes (which
      // are distinct, so each removes one dim).
      int rank = in.rank();
      if (!keepDims) {
        if (!axesLength.isKnown()) {
          throw OpException.of(
              "input 1 (axes) of %s must have a static length when keepdims is 0, because"
                  + " the output rank depends on it, got %s",
              name(), ctx.type(1));
        }
        if (axesLength.size() > rank) {
          throw OpException.of("input 1 (axes) has %d axes, more than the rank %d of input 0",
              axesLength.size(), rank);
        }
        rank -= (int) axesLength.size();
      }
      List<Dim> dims = new ArrayList<>();
      for (int i = 0; i < rank; i++) {
        dims.add(Dim.UNKNOWN);
      }
      return List.of(new TensorType(in.dtype(), Shape.of(dims)));
    }
    Optional<boolean[]> reduced = ReduceAxes.reducedDims(ctx.attrs(), axes.get(), in.rank());
    if (reduced.isEmpty()) {
      return List.of(in);
    }
    List<Dim> dims = new ArrayList<>();
    for (int i = 0; i < in.rank(); i++) {
      if (!reduced.get()[i]) {
        dims.add(in.shape().dim(i));
      } else if (keepDims) {
        dims.add(Dim.of(1));
      }
    }
    return List.of(new TensorType(in.dtype(), Shape.of(dims)));
  }

  static boolean keepDims(long value) {
    if (value != 0 && value != 1) {
      throw OpException.of("attribute 'keepdims' must be 0 or 1, got %d", value);
    }
    return value == 1;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    boolean keepDims = keepDims(ctx.attrs().getInt("keepdims", 1));
    long[] axes = ReduceAxes.fromEvaluation(ctx);
    Optional<boolean[]> reduced = ReduceAxes.reducedDims(ctx.attrs(), axes, x.rank());
    if (reduced.isEmpty()) {
      return List.of(x);
    }
    ReducedShape geometry = new ReducedShape(x.shape(), reduced.get());
    TensorWriter out = TensorWriter.of(x.dtype(), geometry.outputShape(keepDims));
    int groupSize = Math.toIntExact(geometry.groupSize());
    boolean exact = !x.dtype().isFloating() && reducer.exactForIntegers;
    for (long o = 0; o < geometry.outputCount(); o++) {
      if (exact) {
        long[] group = new long[groupSize];
        for (int m = 0; m < groupSize; m++) {
          group[m] = x.getLong(geometry.inputIndex(o, m));
        }
        out.setLong(o, reducer.reduce(group, x.dtype()));
      } else {
        double[] group = new double[groupSize];
        for (int m = 0; m < groupSize; m++) {
          group[m] = x.getDouble(geometry.inputIndex(o, m));
        }
        double result = reducer.reduce(group);
        if (!x.dtype().isFloating() && !Double.isFinite(result)) {
          throw OpException.of(
              "%s of %s elements gives %s, which the integer output cannot hold",
              name(), x.dtype(), result);
        }
        out.setDouble(o, result);
      }
    }
    return List.of(out.build());
  }
}
