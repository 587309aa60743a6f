package dev.kiln.ir.ops.nn;

import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Checks shared by the convolution, pooling and normalization operators. */
final class NnChecks {
  private NnChecks() {}

  /** Input 0 as an image batch [N, C, D1, ...] with at least {@code minSpatial} spatial dims. */
  static TensorType requireImage(TensorType x, int minSpatial) {
    if (x.rank() < 2 + minSpatial) {
      throw OpException.of(
          "input 0 (X) must have rank >= %d (N, C and %s), got %s",
          2 + minSpatial,
          minSpatial == 1 ? "at least one spatial dim" : minSpatial + " spatial dims",
          x);
    }
    return x;
  }

  /** A per-channel parameter: 1-D with as many elements as X has channels (when both known). */
  static void requireChannelVector(InferenceContext ctx, int input, String name, Dim channels) {
    TensorType t = ctx.requireFloating(input);
    Dim n = t.rank() == 1 ? t.shape().dim(0) : null;
    if (n == null || (n.isKnown() && channels.isKnown() && n.size() != channels.size())) {
      throw OpException.of(
          "input %d (%s) must be 1-D of size %s (the channels of input 0), got %s",
          input, name, channels, t);
    }
  }

  /**
   * The run-time form of {@link #requireChannelVector(InferenceContext, int, String, Dim)}: a
   * symbolic channel count is only bound when the graph runs.
   */
  static void requireChannelVector(Tensor t, int input, String name, long channels) {
    if (t.rank() != 1 || t.dim(0) != channels) {
      throw OpException.of(
          "input %d (%s) must be 1-D of size %d (the channels of input 0), got %s",
          input, name, channels, t.type());
    }
  }

  /** A 0/1 attribute value. */
  static boolean flag(long value, String name) {
    if (value != 0 && value != 1) {
      throw OpException.of("attribute '%s' must be 0 or 1, got %d", name, value);
    }
    return value == 1;
  }

  /** The spatial dims (after N and C) of a type. */
  static List<Dim> spatialDims(TensorType t) {
    return new ArrayList<>(t.shape().dims().subList(2, t.rank()));
  }

  static long[] spatialSizes(long[] shape) {
    long[] s = new long[shape.length - 2];
    System.arraycopy(shape, 2, s, 0, s.length);
    return s;
  }
}
