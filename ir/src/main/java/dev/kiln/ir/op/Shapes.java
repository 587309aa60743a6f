package dev.kiln.ir.op;

import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import java.util.ArrayList;
import java.util.List;

/** Shape arithmetic shared by the operators' inference: broadcasting and axis handling. */
public final class Shapes {
  private Shapes() {}

  /**
   * NumPy/ONNX multidirectional broadcasting of static or symbolic shapes. Named dims broadcast
   * against 1 and against themselves; a named dim against a known size other than 1 takes that
   * size (the run time checks the name's binding); two different names give an unknown dim.
   */
  public static Shape broadcast(List<Shape> shapes) {
    int rank = 0;
    for (Shape s : shapes) {
      rank = Math.max(rank, s.rank());
    }
    List<Dim> out = new ArrayList<>(rank);
    for (int i = 0; i < rank; i++) {
      Dim acc = Dim.of(1);
      for (Shape s : shapes) {
        int j = i - (rank - s.rank());
        if (j < 0) {
          continue;
        }
        acc = broadcastDim(acc, s.dim(j), shapes);
      }
      out.add(acc);
    }
    return Shape.of(out);
  }

  public static Shape broadcast(Shape a, Shape b) {
    return broadcast(List.of(a, b));
  }

  private static Dim broadcastDim(Dim a, Dim b, List<Shape> all) {
    if (a.equals(b)) {
      return a;
    }
    if (a instanceof Dim.Known ka && ka.size() == 1) {
      return b;
    }
    if (b instanceof Dim.Known kb && kb.size() == 1) {
      return a;
    }
    if (a instanceof Dim.Known && b instanceof Dim.Known) {
      throw OpException.of(
          "shapes %s cannot be broadcast: dimension %s against %s",
          all.stream().map(Shape::toString).toList(),
          a,
          b);
    }
    if (a instanceof Dim.Known) {
      return a;
    }
    if (b instanceof Dim.Known) {
      return b;
    }
    return Dim.UNKNOWN;
  }

  /** Broadcasts concrete shapes (for reference evaluation). */
  public static long[] broadcast(long[]... shapes) {
    int rank = 0;
    for (long[] s : shapes) {
      rank = Math.max(rank, s.length);
    }
    long[] out = new long[rank];
    java.util.Arrays.fill(out, 1);
    for (long[] s : shapes) {
      for (int j = 0; j < s.length; j++) {
        int i = j + rank - s.length;
        if (out[i] == 1) {
          out[i] = s[j];
        } else if (s[j] != 1 && s[j] != out[i]) {
          throw OpException.of(
              "shapes %s cannot be broadcast",
              java.util.Arrays.stream(shapes).map(java.util.Arrays::toString).toList());
        }
      }
    }
    return out;
  }

  /**
   * An axis in {@code [-rank, rank)} as a non-negative axis; throws naming the attribute or input
   * ({@code what}) otherwise.
   */
  public static int normalizeAxis(long axis, int rank, String what) {
    if (axis < -rank || axis >= Math.max(rank, 1) && !(rank == 0 && axis == 0)) {
      throw OpException.of("%s %d is out of range for rank %d", what, axis, rank);
    }
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** Row-major strides of a concrete shape. */
  public static long[] strides(long[] shape) {
    long[] strides = new long[shape.length];
    long s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= shape[i];
    }
    return strides;
  }

  /** Number of elements of a concrete shape. */
  public static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * The flat index into a tensor of shape {@code inShape} that broadcasting maps output element
   * {@code outIndex} (of shape {@code outShape}) to.
   */
  public static long broadcastIndex(long outIndex, long[] outShape, long[] inShape) {
    long inIndex = 0;
    long inStride = 1;
    long rest = outIndex;
    for (int o = outShape.length - 1; o >= 0; o--) {
      long coord = rest % outShape[o];
      rest /= outShape[o];
      int i = o - (outShape.length - inShape.length);
      if (i >= 0) {
        if (inShape[i] != 1) {
          inIndex += coord * inStride;
        }
        inStride *= inShape[i];
      }
    }
    return inIndex;
  }
}
