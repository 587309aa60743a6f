package dev.kiln.ir.ops.nn;

/** Row-major index arithmetic over small concrete shapes, for the reference loops. */
final class NdIndex {
  private NdIndex() {}

  static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The coordinates of row-major flat index {@code flat} in {@code shape}, into {@code coords}. */
  static void unravel(long flat, long[] shape, long[] coords) {
    for (int i = shape.length - 1; i >= 0; i--) {
      coords[i] = flat % shape[i];
      flat /= shape[i];
    }
  }

  /** The column-major flat index of {@code coords} in {@code shape} (first axis fastest). */
  static long columnMajor(long[] coords, long[] shape) {
    long index = 0;
    for (int i = shape.length - 1; i >= 0; i--) {
      index = index * shape[i] + coords[i];
    }
    return index;
  }
}
