package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.op.Shapes;

/**
 * The index arithmetic of a reduction over a concrete shape: which input elements fall into
 * each output element. The output's row-major order is the kept dims' order, whether or not the
 * reduced dims are kept as 1.
 */
final class ReducedShape {
  private final long[] inShape;
  private final long[] inStrides;
  private final boolean[] reduced;
  private final long[] keptShape;
  private final long[] reducedShape;

  ReducedShape(long[] inShape, boolean[] reduced) {
    this.inShape = inShape.clone();
    this.inStrides = Shapes.strides(inShape);
    this.reduced = reduced.clone();
    int keptRank = 0;
    for (boolean r : reduced) {
      keptRank += r ? 0 : 1;
    }
    keptShape = new long[keptRank];
    reducedShape = new long[inShape.length - keptRank];
    for (int i = 0, k = 0, r = 0; i < inShape.length; i++) {
      if (reduced[i]) {
        reducedShape[r++] = inShape[i];
      } else {
        keptShape[k++] = inShape[i];
      }
    }
  }

  /** Number of output elements. */
  long outputCount() {
    return Shapes.size(keptShape);
  }

  /** Number of input elements reduced into each output element. */
  long groupSize() {
    return Shapes.size(reducedShape);
  }

  /** The output shape, with reduced dims kept as 1 or dropped. */
  long[] outputShape(boolean keepDims) {
    if (!keepDims) {
      return keptShape.clone();
    }
    long[] out = new long[inShape.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = reduced[i] ? 1 : inShape[i];
    }
    return out;
  }

  /** The flat input index of element {@code member} of the group of output element {@code out}. */
  long inputIndex(long out, long member) {
    long index = 0;
    long restKept = out;
    long restReduced = member;
    int k = keptShape.length - 1;
    int r = reducedShape.length - 1;
    for (int i = inShape.length - 1; i >= 0; i--) {
      long coord;
      if (reduced[i]) {
        coord = restReduced % reducedShape[r];
        restReduced /= reducedShape[r--];
      } else {
        coord = restKept % keptShape[k];
        restKept /= keptShape[k--];
      }
      index += coord * inStrides[i];
    }
    return index;
  }
}
