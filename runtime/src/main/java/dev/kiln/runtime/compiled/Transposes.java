package dev.kiln.runtime.compiled;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies of a float block of up to 16 x 16 elements with rows and columns exchanged, as 8 x 8
 * transposes in 256-bit registers: 8 row loads, three rounds of two-vector permutes, 8 row
 * stores. Generated code calls it for loop nests that copy with one side contiguous along one
 * loop and the other side along the other loop (the layout reorders between NCHW and NCHWc),
 * which as scalar loops ran at 2 to 2.5x ONNX Runtime's time: C2 vectorizes neither a strided
 * load nor a strided store. One shared method rather than code per kernel: it reaches C2 in the
 * first runs, as the GEMM's shared panel copies do.
 *
 * <p>Why 8 x 8 blocks of 256 bits and no masks, though the machines this is emitted for have
 * 512-bit registers: a 16 x 16 transpose (16 vectors live, four rounds) and an 8-row one with
 * masked loads and stores both made C1 give up at tier 3 ("out of virtual registers": C1 inlines
 * the Vector API's Java code), and HotSpot then kept the tier-2 code, which boxes every vector,
 * for good (a 64@56² layer's two reorders took 2.3 ms instead of 0.1). This method is the size
 * of the GEMM's 8-row A-panel transpose, which C1 compiles. Blocks not 8 x 8 (the edges of a
 * plane) are copied element by element.
 */
public final class Transposes {
  private Transposes() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

  /** Index vectors of {@link #eight}'s three rounds ({@link #interleaveIndexes}). */
  private static final float[] INDEX = interleaveIndexes(8, 3);

  /**
   * The index vectors of transposing rounds on vectors of {@code lanes} floats, as {@code
   * selectFrom} takes them (lane i of the result is lane {@code index[i]} of the two sources'
   * 2 x lanes lanes): per round w = 1, 2, 4, ... the low and then the high half of the interleave
   * of the two sources' groups of w lanes, {@code 2 * lanes} floats per round. Also the GEMM's
   * A-panel transpose (16 lanes, three rounds).
   */
  public static float[] interleaveIndexes(int lanes, int rounds) {
    float[] t = new float[rounds * 2 * lanes];
    for (int round = 0; round < rounds; round++) {
      int w = 1 << round;
      for (int i = 0; i < lanes; i++) {
        int lo = ((i / w) % 2) * lanes + (i / (2 * w)) * w + i % w;
        t[round * 2 * lanes + i] = lo;
        t[round * 2 * lanes + lanes + i] = lo + lanes / 2;
      }
    }
    return t;
  }

  /**
   * {@code dst[d + c * dstStep + r] = src[s + r * srcStep + c]} for {@code r < rows}, {@code c <
   * cols} (both 1 to 16): reads {@code rows} rows of {@code cols} contiguous floats and writes
   * {@code cols} rows of {@code rows} contiguous floats, touching exactly those elements (so it
   * is in bounds wherever the scalar copy is).
   */
  public static void transpose16(float[] src, int s, int srcStep, float[] dst, int d, int dstStep, int rows,
      int cols) {
    if (rows < 1 || rows > 16 || cols < 1 || cols > 16) {
      throw new IllegalArgumentException("a block of " + rows + " x " + cols + " is not 1 to 16 each way");
    }
    for (int r0 = 0; r0 < rows; r0 += 8) {
      for (int c0 = 0; c0 < cols; c0 += 8) {
        int si = s + r0 * srcStep + c0;
        int di = d + c0 * dstStep + r0;
        if (rows - r0 >= 8 && cols - c0 >= 8) {
          eight(src, si, srcStep, dst, di, dstStep);
        } else {
          elements(src, si, srcStep, dst, di, dstStep, Math.min(8, rows - r0), Math.min(8, cols - c0));
        }
      }
    }
  }

  /**
   * One 8 x 8 block. Round k pairs the vectors whose numbers differ in bit k (row bit k of the
   * block); the pair's low half goes to the number with bit k removed, shifted up, with 0 as its
   * low bit, the high half to the same with 1; after three rounds vector c holds column c.
   */
  private static void eight(float[] src, int s, int srcStep, float[] dst, int d, int dstStep) {
    FloatVector a0 = FloatVector.fromArray(S, src, s);
    FloatVector a1 = FloatVector.fromArray(S, src, s + srcStep);
    FloatVector a2 = FloatVector.fromArray(S, src, s + 2 * srcStep);
    FloatVector a3 = FloatVector.fromArray(S, src, s + 3 * srcStep);
    FloatVector a4 = FloatVector.fromArray(S, src, s + 4 * srcStep);
    FloatVector a5 = FloatVector.fromArray(S, src, s + 5 * srcStep);
    FloatVector a6 = FloatVector.fromArray(S, src, s + 6 * srcStep);
    FloatVector a7 = FloatVector.fromArray(S, src, s + 7 * srcStep);
    FloatVector lo = FloatVector.fromArray(S, INDEX, 0);
    FloatVector hi = FloatVector.fromArray(S, INDEX, 8);
    FloatVector b0 = lo.selectFrom(a0, a1);
    FloatVector b1 = hi.selectFrom(a0, a1);
    FloatVector b2 = lo.selectFrom(a2, a3);
    FloatVector b3 = hi.selectFrom(a2, a3);
    FloatVector b4 = lo.selectFrom(a4, a5);
    FloatVector b5 = hi.selectFrom(a4, a5);
    FloatVector b6 = lo.selectFrom(a6, a7);
    FloatVector b7 = hi.selectFrom(a6, a7);
    lo = FloatVector.fromArray(S, INDEX, 16);
    hi = FloatVector.fromArray(S, INDEX, 24);
    FloatVector c0 = lo.selectFrom(b0, b2);
    FloatVector c1 = hi.selectFrom(b0, b2);
    FloatVector c2 = lo.selectFrom(b1, b3);
    FloatVector c3 = hi.selectFrom(b1, b3);
    FloatVector c4 = lo.selectFrom(b4, b6);
    FloatVector c5 = hi.selectFrom(b4, b6);
    FloatVector c6 = lo.selectFrom(b5, b7);
    FloatVector c7 = hi.selectFrom(b5, b7);
    lo = FloatVector.fromArray(S, INDEX, 32);
    hi = FloatVector.fromArray(S, INDEX, 40);
    lo.selectFrom(c0, c4).intoArray(dst, d);
    hi.selectFrom(c0, c4).intoArray(dst, d + dstStep);
    lo.selectFrom(c1, c5).intoArray(dst, d + 2 * dstStep);
    hi.selectFrom(c1, c5).intoArray(dst, d + 3 * dstStep);
    lo.selectFrom(c2, c6).intoArray(dst, d + 4 * dstStep);
    hi.selectFrom(c2, c6).intoArray(dst, d + 5 * dstStep);
    lo.selectFrom(c3, c7).intoArray(dst, d + 6 * dstStep);
    hi.selectFrom(c3, c7).intoArray(dst, d + 7 * dstStep);
  }

  /** A block smaller than 8 x 8 one way or both, element by element. */
  private static void elements(float[] src, int s, int srcStep, float[] dst, int d, int dstStep, int rows,
      int cols) {
    for (int c = 0; c < cols; c++) {
      for (int r = 0; r < rows; r++) {
        dst[d + c * dstStep + r] = src[s + r * srcStep + c];
      }
    }
  }
}
