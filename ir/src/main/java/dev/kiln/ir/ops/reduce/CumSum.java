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
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code CumSum} (opset 14): the running sum of input 0 along the axis given by the scalar
 * input 1; {@code exclusive = 1} leaves the element itself out (the first sum is 0) and
 * {@code reverse = 1} runs from the end. Integers wrap in their type; reals sum in f64 here,
 * which compiled code (summing in the element type) matches within rounding.
 */
final class CumSum extends OpSchema {
  static final CumSum INSTANCE = new CumSum();

  private CumSum() {
    super(
        "CumSum",
        2,
        2,
        1,
        1,
        List.of(
            AttrSpec.optional("exclusive", Attribute.of(0L)),
            AttrSpec.optional("reverse", Attribute.of(0L))));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // The axis decides the loop structure of the compiled code.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireNumeric(0);
    flag(ctx.attrs().getInt("exclusive", 0), "exclusive");
    flag(ctx.attrs().getInt("reverse", 0), "reverse");
    TensorType axis = ctx.type(1);
    boolean scalar = axis.rank() == 0 || (axis.rank() == 1 && axis.shape().dim(0).isKnown()
        && axis.shape().dim(0).size() == 1);
    if ((axis.dtype() != DType.I32 && axis.dtype() != DType.I64) || !scalar) {
      throw OpException.of("input 1 (axis) must be an i32 or i64 scalar, got %s", axis);
    }
    Optional<Tensor> known = ctx.constant(1);
    if (known.isPresent()) {
      axis(known.get(), x.rank());
    }
    return List.of(x);
  }

  /** The axis value of input 1, normalized against {@code rank}. */
  static int axis(Tensor axis, int rank) {
    return Shapes.normalizeAxis(axis.getLong(0), rank, "input 1 (axis)");
  }

  static boolean flag(long value, String name) {
    if (value != 0 && value != 1) {
      throw OpException.of("attribute '%s' must be 0 or 1, got %d", name, value);
    }
    return value == 1;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    long[] shape = x.shape();
    int axis = axis(ctx.input(1), x.rank());
    boolean exclusive = flag(ctx.attrs().getInt("exclusive", 0), "exclusive");
    boolean reverse = flag(ctx.attrs().getInt("reverse", 0), "reverse");
    long n = shape[axis];
    long inner = Shapes.size(Arrays.copyOfRange(shape, axis + 1, shape.length));
    long outer = n * inner == 0 ? 0 : x.size() / (n * inner);
    boolean real = x.dtype().isFloating();
    TensorWriter out = TensorWriter.of(x.dtype(), shape);
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        long base = o * n * inner + i;
        double realSum = 0;
        long intSum = 0;
        for (long step = 0; step < n; step++) {
          long at = base + (reverse ? n - 1 - step : step) * inner;
          if (exclusive) {
            set(out, at, real, realSum, intSum);
          }
          if (real) {
            realSum += x.getDouble(at);
          } else {
            intSum += x.getLong(at);
          }
          if (!exclusive) {
            set(out, at, real, realSum, intSum);
          }
        }
      }
    }
    return List.of(out.build());
  }

  private static void set(TensorWriter out, long at, boolean real, double realSum, long intSum) {
    if (real) {
      out.setDouble(at, realSum);
    } else {
      out.setLong(at, intSum);
    }
  }
}
