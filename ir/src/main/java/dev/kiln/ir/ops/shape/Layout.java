package dev.kiln.ir.ops.shape;

import static com.google.common.collect.ImmutableList.toImmutableList;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.TensorType;

/**
 * Helpers of the reference semantics: row-major coordinates, and running shape inference on
 * concrete inputs so that each operator computes its output shape (and checks its arguments) in
 * one place.
 */
final class Layout {
  private Layout() {}

  /**
   * The application as shape inference sees it when every input is known. The reference
   * semantics call {@code inferTypes} with it to validate and get static output shapes.
   */
  static InferenceContext asInference(EvalContext ctx) {
    return new InferenceContext(
        ctx.op(),
        ctx.attrs(),
        ctx.inputs().stream().map(t -> t.map(Tensor::type)).collect(toImmutableList()),
        ctx.inputs(),
        ctx.outputCount());
  }

  /** The sizes of a type inferred from concrete inputs (always static). */
  static long[] sizes(TensorType t) {
    return t.shape().toLongArray();
  }

  /** Row-major coordinates of element {@code flat} of a tensor of shape {@code shape}. */
  static long[] unravel(long flat, long[] shape) {
    long[] coords = new long[shape.length];
    long rest = flat;
    for (int i = shape.length - 1; i >= 0; i--) {
      coords[i] = rest % shape[i];
      rest /= shape[i];
    }
    return coords;
  }

  /** The flat index of {@code coords} under row-major {@code strides}. */
  static long offset(long[] coords, long[] strides) {
    long off = 0;
    for (int i = 0; i < coords.length; i++) {
      off += coords[i] * strides[i];
    }
    return off;
  }

  /** {@code x} with its axes permuted: output axis {@code i} is input axis {@code perm[i]}. */
  static Tensor permute(Tensor x, int[] perm) {
    long[] in = x.shape();
    long[] inStrides = Shapes.strides(in);
    long[] out = new long[perm.length];
    long[] strideOfOutAxis = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = in[perm[i]];
      strideOfOutAxis[i] = inStrides[perm[i]];
    }
    return strided(x, out, 0, strideOfOutAxis);
  }

  /**
   * The tensor of shape {@code out} whose element at coordinates {@code c} is element {@code base
   * + sum(c[i] * strides[i])} of {@code x}. Transposes, slices, splits and broadcasts (stride 0)
   * are all such strided views.
   */
  static Tensor strided(Tensor x, long[] out, long base, long[] strides) {
    TensorWriter w = TensorWriter.of(x.dtype(), out);
    long[] coords = new long[out.length];
    long offset = base;
    for (long o = 0; o < w.size(); o++) {
      w.copyElement(x, offset, o);
      // Advance the coordinates like an odometer, keeping the input offset in step.
      for (int d = out.length - 1; d >= 0; d--) {
        if (++coords[d] < out[d]) {
          offset += strides[d];
          break;
        }
        coords[d] = 0;
        offset -= strides[d] * (out[d] - 1);
      }
    }
    return w.build();
  }
}
