package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Integer arguments of the shape operators: 1-D shape, axes, pads and repeats inputs (whose values
 * may be known at compile time), and axis lists from inputs or attributes.
 */
final class IntInputs {
  private IntInputs() {}

  /**
   * Checks that input {@code i} is a 1-D tensor of one of the {@code allowed} integer types.
   *
   * @return its length, or -1 when the length is not known at compile time
   */
  static int length1D(InferenceContext ctx, int i, String role, DType... allowed) {
    TensorType t = ctx.type(i);
    requireDType(t, i, role, allowed);
    if (t.rank() != 1) {
      throw OpException.of("input %d (%s) must be 1-D, got %s", i, role, t);
    }
    Dim d = t.shape().dim(0);
    return d.isKnown() ? Math.toIntExact(d.size()) : -1;
  }

  /** Like {@link #length1D} but the length must be known (it decides the output rank). */
  static int staticLength1D(InferenceContext ctx, int i, String role, DType... allowed) {
    int n = length1D(ctx, i, role, allowed);
    if (n < 0) {
      throw OpException.of(
          "input %d (%s) must have a static length because it decides the output rank, got %s",
          i, role, ctx.type(i));
    }
    return n;
  }

  /** Checks that input {@code i} is a scalar (or a one-element 1-D tensor) of an allowed type. */
  static void requireScalar(InferenceContext ctx, int i, String role, DType... allowed) {
    TensorType t = ctx.type(i);
    requireDType(t, i, role, allowed);
    boolean oneElement =
        t.rank() == 0 || (t.rank() == 1 && t.shape().dim(0).equals(Dim.of(1)));
    if (!oneElement && !(t.rank() == 1 && !t.shape().dim(0).isKnown())) {
      throw OpException.of("input %d (%s) must be a scalar, got %s", i, role, t);
    }
  }

  /** Input {@code i} of the gathers and scatters: indices of an i32 or i64 tensor. */
  static TensorType indices(InferenceContext ctx, int i) {
    TensorType t = ctx.type(i);
    requireDType(t, i, "indices", DType.I32, DType.I64);
    return t;
  }

  static void requireDType(TensorType t, int i, String role, DType... allowed) {
    for (DType d : allowed) {
      if (t.dtype() == d) {
        return;
      }
    }
    throw OpException.of("input %d (%s) must be %s, got %s", i, role, describe(allowed), t);
  }

  private static String describe(DType... allowed) {
    String types = Arrays.stream(allowed).map(DType::text).collect(Collectors.joining(" or "));
    // "an i64", "an f32", "a u8", "a bool": the article follows the type's spoken first letter.
    return (types.startsWith("i") || types.startsWith("f") ? "an " : "a ") + types + " tensor";
  }

  /** The values of input {@code i} when they are known at compile time. */
  static Optional<long[]> values(InferenceContext ctx, int i) {
    return ctx.constant(i).map(Tensor::toLongArray);
  }

  /**
   * Axes in {@code [-rank, rank)} as non-negative axes, in the given order.
   *
   * @param source where the axes come from, for messages: {@code input 1 (axes)}
   */
  static int[] normalizeAxes(long[] axes, int rank, String source) {
    int[] out = new int[axes.length];
    boolean[] seen = new boolean[rank];
    for (int k = 0; k < axes.length; k++) {
      long a = axes[k];
      if (a < -rank || a >= rank) {
        throw OpException.of(
            "%s = %s: axis %d is out of range for rank %d",
            source, Arrays.toString(axes), a, rank);
      }
      int axis = (int) (a < 0 ? a + rank : a);
      if (seen[axis]) {
        throw OpException.of(
            "%s = %s: axis %d is given more than once", source, Arrays.toString(axes), axis);
      }
      seen[axis] = true;
      out[k] = axis;
    }
    return out;
  }

  /** A single axis attribute in {@code [-rank, rank)} as a non-negative axis. */
  static int axis(long axis, int rank, String attribute) {
    if (axis < -rank || axis >= rank) {
      throw OpException.of(
          "attribute '%s' = %d is out of range for rank %d", attribute, axis, rank);
    }
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** An attribute that must be 0 or 1. */
  static boolean flag(InferenceContext ctx, String attribute, long fallback) {
    long v = ctx.attrs().getInt(attribute, fallback);
    if (v != 0 && v != 1) {
      throw OpException.of("attribute '%s' must be 0 or 1, got %d", attribute, v);
    }
    return v == 1;
  }
}
