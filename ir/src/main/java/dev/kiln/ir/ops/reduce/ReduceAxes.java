package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.Optional;

/** The axes of a reduction, from the {@code axes} attribute or from input 1, checked. */
public final class ReduceAxes {
  private ReduceAxes() {}

  /** The axes as written, or empty when they come from an input not known at compile time. */
  static Optional<long[]> fromInference(InferenceContext ctx) {
    Optional<long[]> attr = ctx.attrs().getInts("axes");
    if (!ctx.hasInput(1)) {
      return Optional.of(attr.orElse(new long[0]));
    }
    rejectBoth(attr);
    checkAxesType(ctx.type(1));
    return ctx.constant(1).map(Tensor::toLongArray);
  }

  public static long[] fromEvaluation(EvalContext ctx) {
    Optional<long[]> attr = ctx.attrs().getInts("axes");
    if (!ctx.hasInput(1)) {
      return attr.orElse(new long[0]);
    }
    rejectBoth(attr);
    checkAxesType(ctx.input(1).type());
    return ctx.input(1).toLongArray();
  }

  private static void rejectBoth(Optional<long[]> attr) {
    if (attr.isPresent()) {
      throw OpException.of(
          "axes are given both as attribute 'axes' and as input 1; give them one way");
    }
  }

  private static void checkAxesType(TensorType t) {
    if (t.dtype() != DType.I64 || t.rank() != 1) {
      throw OpException.of("input 1 (axes) must be a 1-D i64 tensor, got %s", t);
    }
  }

  /**
   * Which dims are reduced, or empty when the operator is an identity (no axes and
   * {@code noop_with_empty_axes} = 1). No axes otherwise means every axis.
   */
  public static Optional<boolean[]> reducedDims(Attributes attrs, long[] axes, int rank) {
    long noop = attrs.getInt("noop_with_empty_axes", 0);
    if (noop != 0 && noop != 1) {
      throw OpException.of("attribute 'noop_with_empty_axes' must be 0 or 1, got %d", noop);
    }
    boolean[] reduced = new boolean[rank];
    if (axes.length == 0) {
      if (noop == 1) {
        return Optional.empty();
      }
      Arrays.fill(reduced, true);
      return Optional.of(reduced);
    }
    for (long axis : axes) {
      if (axis < -rank || axis >= rank) {
        throw OpException.of(
            "axis %d in axes %s is out of range for rank %d", axis, Arrays.toString(axes), rank);
      }
      int a = (int) (axis < 0 ? axis + rank : axis);
      if (reduced[a]) {
        throw OpException.of("axes %s name axis %d twice", Arrays.toString(axes), a);
      }
      reduced[a] = true;
    }
    return Optional.of(reduced);
  }
}
