package dev.kiln.codegen;

import dev.kiln.ir.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The error bound of the differential tests of generated sum kernels (GEMM, convolution) against
 * the loop-IR interpreter. Blocking reassociates the sums, so an element computed from {@code n}
 * products may differ by {@code (n + 4) * 2^-23 * sum |x| |w| * scale + 1e-6 * |expected|}, the
 * bound of float summation in any order; {@code sum |x| |w|} is the same program run on the
 * absolute values of its inputs and weights ({@link #absolute}).
 */
public final class SummationErrorBound {
  private SummationErrorBound() {}

  /** How much of the generated source a failure shows. */
  private static final int SOURCE_HEAD = 6000;

  /** Each input with its elements made absolute. */
  public static Map<String, Tensor> absolute(Map<String, Tensor> inputs) {
    Map<String, Tensor> abs = new LinkedHashMap<>();
    inputs.forEach((name, t) -> abs.put(name, absolute(t)));
    return abs;
  }

  public static Tensor absolute(Tensor t) {
    float[] v = t.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.abs(v[i]);
    }
    return Tensor.ofFloats(t.shape(), v);
  }

  /**
   * Checks each element of {@code actual} against {@code expected} within the bound of {@code
   * terms}-product sums whose magnitudes are {@code magnitude}; a failure names the element,
   * {@code context} (case, parameters, seed, threads) and shows the head of {@code source}.
   */
  public static void assertWithin(Tensor expected, Tensor actual, Tensor magnitude, long terms,
      double scale, String context, String source) {
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    float[] b = magnitude.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      double tol = (terms + 4) * Math.ulp(1f) * b[i] * scale + 1e-6 * Math.abs(e[i]) + 1e-30;
      boolean same = Float.compare(e[i], a[i]) == 0 || Math.abs(e[i] - a[i]) <= tol;
      if (!same) {
        String head = source.length() > SOURCE_HEAD ? source.substring(0, SOURCE_HEAD) : source;
        throw new AssertionError(context + ": element " + i + " is " + a[i] + ", expected " + e[i]
            + " within " + tol + "\n" + head);
      }
    }
  }
}
