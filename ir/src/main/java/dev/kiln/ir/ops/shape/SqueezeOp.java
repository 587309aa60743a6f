package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code Squeeze}: removes the given axes (input 1 since opset 13, attribute {@code axes}
 * before), each of which must have size 1. Without axes it removes every dim of size 1, which
 * needs a static input shape: whether a symbolic dim is 1 decides the output rank.
 */
final class SqueezeOp extends OpSchema {
  static final SqueezeOp INSTANCE = new SqueezeOp();

  private SqueezeOp() {
    super("Squeeze", 1, 2, 1, 1, List.of(AttrSpec.optional("axes", AttributeKind.INTS)));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The axes decide the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int rank = x.rank();
    AxesArgument axes = AxesArgument.of(ctx, 1, true, DType.I64);
    List<Dim> dims = new ArrayList<>();
    if (!axes.given()) {
      for (Dim d : x.shape().dims()) {
        if (!d.isKnown()) {
          // ONNX leaves the rank unknown here; Kiln types need a rank, and guessing "not 1"
          // Would give the wrong rank whenever the dim is 1 at run time.
          throw OpException.of(
              "Squeeze without axes needs a static input shape, got input 0 %s: the output rank"
                  + " depends on whether %s is 1; give the axes to squeeze",
              x, d);
        }
        if (!d.equals(Dim.of(1))) {
          dims.add(d);
        }
      }
      return List.of(new TensorType(x.dtype(), Shape.of(dims)));
    }
    if (axes.values().isEmpty()) {
      if (axes.count() < 0) {
        throw OpException.of(
            "%s %s must have a static length because it decides the output rank",
            axes.source(), ctx.type(1));
      }
      if (axes.count() > rank) {
        throw OpException.of(
            "%s %s squeezes more axes than input 0 %s has", axes.source(), ctx.type(1), x);
      }
      return List.of(new TensorType(x.dtype(), Shape.of(DimMath.unknown(rank - axes.count()))));
    }
    boolean[] squeezed = new boolean[rank];
    for (int axis : IntInputs.normalizeAxes(axes.values().get(), rank, axes.source())) {
      Dim d = x.shape().dim(axis);
      if (d instanceof Dim.Known k && k.size() != 1) {
        throw OpException.of(
            "cannot squeeze axis %d of input 0 %s: its size is %d, not 1", axis, x, k.size());
      }
      squeezed[axis] = true;
    }
    for (int i = 0; i < rank; i++) {
      if (!squeezed[i]) {
        dims.add(x.shape().dim(i));
      }
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType out = inferTypes(Layout.asInference(ctx)).get(0);
    return List.of(ctx.input(0).reshape(Layout.sizes(out)));
  }
}
