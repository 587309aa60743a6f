package dev.kiln.runtime.compiled;

/**
 * Conversions generated code calls for the types Java has no arithmetic for: f16 and bf16 (kept
 * as raw bits in {@code short}s, computed in f32) and u64. Each matches {@code TensorWriter} and
 * the loop-IR interpreter bit for bit.
 */
public final class Narrow {
  private Narrow() {}

  public static float f16ToFloat(short bits) {
    return Float.float16ToFloat(bits);
  }

  /** Round to nearest even, as {@code Float.floatToFloat16}. */
  public static short floatToF16(float f) {
    return Float.floatToFloat16(f);
  }

  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** Round to nearest even; NaN stays a quiet NaN. */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** {@code f} rounded to the nearest f16 value, as a float. */
  public static float roundF16(float f) {
    return Float.float16ToFloat(Float.floatToFloat16(f));
  }

  /** {@code f} rounded to the nearest bf16 value, as a float. */
  public static float roundBf16(float f) {
    return bf16ToFloat(floatToBf16(f));
  }

  /** The value of a u64 (held in a long's bits) as a double. */
  public static double unsignedToDouble(long v) {
    return v < 0 ? (double) (v >>> 1) * 2.0 + (v & 1) : (double) v;
  }

  /** {@code x} if x <= y unsigned, else y. */
  public static long minUnsigned(long x, long y) {
    return Long.compareUnsigned(x, y) <= 0 ? x : y;
  }

  public static long maxUnsigned(long x, long y) {
    return Long.compareUnsigned(x, y) >= 0 ? x : y;
  }
}
