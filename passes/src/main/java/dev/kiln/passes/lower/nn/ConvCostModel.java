package dev.kiln.passes.lower.nn;

/**
 * Estimated single-thread time (ns) of the GEMM-based convolution kernels, from which
 * {@link ConvLowerings#choose} picks im2col or Winograd per layer: multiply-adds of the generated
 * GEMM, plus the elements each kernel's other nests move, each kind at its own measured rate.
 *
 * <p>Calibration (AMD EPYC with AVX-512, JDK 25, 1 thread, thread CPU time p10 of
 * {@code kiln bench} on the ResNet-18 3x3 layers of /work/shared/models, each algorithm forced with
 * {@code -Dkiln.conv.algorithm}): the GEMM runs about 55 G multiply-adds/s on im2col's large
 * products and about 40 G on Winograd's per-position ones (K = C and n = the tiles: smaller
 * blocks, packing of A per call); vectorized copies and transforms move an element in about 0.1 ns,
 * the scalar phase split and epilogue nests in about 0.7 ns.
 */
final class ConvCostModel {
  private ConvCostModel() {}

  /**
   * The generated GEMM's threshold below which it runs on the calling thread (GemmGenerator's
   * PARALLEL_FLOPS, 2^22 flops), so Winograd parallelizes over its positions instead.
   */
  static final long PARALLEL_GEMM_FLOPS = 1L << 22;

  /** ns per multiply-add of a large GEMM (im2col's). */
  static final double GEMM_NS = 1 / 55.0;
  /** ns per multiply-add of Winograd's per-position GEMMs. */
  static final double SMALL_GEMM_NS = 1 / 40.0;
  /** ns per GEMM call (scratch, packing set-up, a task). */
  static final double GEMM_CALL_NS = 2000;
  /** ns per element of a vectorized copy or transform stage. */
  static final double VECTOR_NS = 0.1;
  /** ns per element of a scalar nest (index arithmetic per element). */
  static final double SCALAR_NS = 0.7;

  /** im2col: the padded copy, the column matrix (C * 9 x positions per image), the GEMM. */
  static double im2col(ConvLowerings.Geometry g) {
    double positions = (double) g.batch * g.outputPositions();
    double taps = g.taps();
    double padded = 1;
    for (long p : g.padded) {
      padded *= p;
    }
    double copies = (g.needsPadding ? (double) g.batch * g.channels * padded * 2 : 0)
        + g.channels * taps * positions;
    return GEMM_NS * g.outChannels * g.channels * taps * positions + VECTOR_NS * copies
        + GEMM_CALL_NS * g.batch * g.group;
  }

  /**
   * Winograd with {@code tile}: the zeroed phase planes, the scalar phase split of the input, the
   * input transform (a^2 outputs per channel and tile slot, each of about a loads), the
   * a^2 GEMMs, the output transform (m^2 outputs of about a^2 / m loads each, per output channel
   * and slot) and the scalar epilogue nest.
   */
  static double winograd(ConvLowerings.Geometry g, WinogradConv.Tile tile) {
    WinogradConv.Grid grid = WinogradConv.Grid.of(g.out[0], g.out[1], tile);
    double a = tile.alpha();
    double m = tile.m;
    double slots = (double) g.batch * grid.slots();
    double inputs = (double) g.batch * g.channels * g.in[0] * g.in[1];
    double outputs = (double) g.batch * g.outChannels * g.out[0] * g.out[1];
    double zero = (double) g.batch * g.channels * m * m * grid.plane();
    double inputTransform = g.channels * slots * a * a * 2;
    double outputTransform = g.outChannels * slots * (a * a + m * m);
    double gemm = a * a * g.outChannels * g.channels * slots;
    return SMALL_GEMM_NS * gemm + GEMM_CALL_NS * a * a
        + VECTOR_NS * (zero + inputTransform + outputTransform) + SCALAR_NS * (inputs + outputs);
  }
}
