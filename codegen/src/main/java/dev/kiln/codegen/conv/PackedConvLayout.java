package dev.kiln.codegen.conv;

/**
 * The layout the generated direct convolution reads its weights in:
 * {@code [ceil(M/b)][ceil(C/bi)][KH][KW][bi input lanes][b output lanes]} (bi = b, or 1 for an NCHW
 * input), so that the kernel loads
 * the b output channels of one (input channel, tap) as one vector; lanes past M or C are zero.
 * Packed once at compile time for constant weights (and stored packed in artifacts), else by
 * generated code on every run.
 */
public final class PackedConvLayout {
  private PackedConvLayout() {}

  /** {@code src} in ONNX's {@code [M, C, KH, KW]} order, from {@code offset}, packed. */
  public static float[] pack(float[] src, int offset, int m, int c, int kh, int kw, int bi, int b) {
    int mb = (m + b - 1) / b;
    int cb = (c + bi - 1) / bi;
    float[] dst = new float[Math.multiplyExact(Math.multiplyExact(mb * cb, kh * kw), bi * b)];
    for (int o = 0; o < m; o++) {
      for (int i = 0; i < c; i++) {
        for (int r = 0; r < kh; r++) {
          for (int s = 0; s < kw; s++) {
            dst[index(o, i, r, s, cb, kh, kw, bi, b)] = src[offset + ((o * c + i) * kh + r) * kw + s];
          }
        }
      }
    }
    return dst;
  }

  /** The packed index of weight {@code (o, i, r, s)}. */
  static int index(int o, int i, int r, int s, int cb, int kh, int kw, int bi, int b) {
    return ((((o / b) * cb + i / bi) * kh + r) * kw + s) * bi * b + (i % bi) * b + o % b;
  }
}
