package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How closely one output agrees with the reference (ONNX Runtime's): the largest absolute
 * difference relative to the reference's largest magnitude, and the cosine of the angle between
 * the two as vectors. Relative to the largest magnitude, because element-wise relative errors
 * explode on values near zero that differ only by rounding.
 *
 * @param maxAbsError max |kiln - reference| over all elements
 * @param maxAbsReference max |reference|
 * @param cosine dot(kiln, reference) / (|kiln| |reference|); 1 when both are all zero
 */
public record Agreement(String output, double maxAbsError, double maxAbsReference, double cosine) {

  /** Compares {@code actual} against {@code reference}, element by element. */
  public static Agreement of(String output, double[] actual, double[] reference) {
    checkArgument(actual.length == reference.length,
        "output '%s' has %s elements, the reference %s", output, actual.length, reference.length);
    double maxError = 0;
    double maxReference = 0;
    double dot = 0;
    double actualNorm = 0;
    double referenceNorm = 0;
    for (int i = 0; i < actual.length; i++) {
      double a = actual[i];
      double r = reference[i];
      double error = Math.abs(a - r);
      // NaN anywhere makes the outputs disagree: Math.max propagates it.
      maxError = Double.isNaN(error) ? Double.NaN : Math.max(maxError, error);
      maxReference = Math.max(maxReference, Math.abs(r));
      dot += a * r;
      actualNorm += a * a;
      referenceNorm += r * r;
    }
    double cosine = actualNorm == 0 && referenceNorm == 0 ? 1
        : dot / Math.sqrt(actualNorm * referenceNorm);
    return new Agreement(output, maxError, maxReference, cosine);
  }

  /** The largest absolute error relative to the reference's largest magnitude. */
  public double relativeError() {
    if (maxAbsReference == 0) {
      return maxAbsError == 0 ? 0 : Double.POSITIVE_INFINITY;
    }
    return maxAbsError / maxAbsReference;
  }

  /** True when the relative error is at most {@code tolerance} (false when it is NaN). */
  public boolean agrees(double tolerance) {
    return relativeError() <= tolerance;
  }
}
