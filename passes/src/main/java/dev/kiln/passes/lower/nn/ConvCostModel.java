package dev.kiln.passes.lower.nn;

/**
 * Estimated single-thread time (ns) of the GEMM-based convolution kernels, from which
 * {@link ConvLowerings#choose} picks im2col or Winograd per layer: multiply-adds of the generated
 * GEMM, plus the elements each kernel's other nests move, each kind at its own measured rate.
 *
 * <p>Calibration (AMD EPYC with AVX-512, JDK 25, 1 thread; {@code kiln bench} p10 on the
 * ResNet-18 3x3 layers of /work/shared/models, each algorithm forced with
 * {@code -Dkiln.conv.algorithm}, at load average 13 to 20, so rough): im2col at 64x56 took 2.25
 * to 2.85 ms for 115.6 M multiply-adds (the model: 2.33 ms, GEMM at 55 G multiply-adds/s plus its
 * copies); Winograd F(4x4) at 64x56 1.43 to 2.0 ms (the model: 1.37 ms: 36 GEMMs of 64 x 64 x 224
 * padded columns at 40 G/s, smaller blocks and A packed per call, 0.83 ms, plus the transforms,
 * 0.1 ns per vectorized element and 0.7 ns per scalar one). The models' ratios, not their
 * absolute values, make the choice: F(4x4) from 56x56 to 28x28, F(2x2) at 14x14, im2col at 7x7
 * and for few channels (below about 32, where the transforms cost more than they save).
 */
final class ConvCostModel {
  private ConvCostModel() {}

  /**
   * The generated GEMM's threshold below which it runs on the calling thread (GemmGenerator's
   * PARALLEL_FLOPS, 2^22 flops), so Winograd parallelizes over its positions instead.
   */
  static final long PARALLEL_GEMM_FLOPS = 1L << 22;

  /**
   * The width of the generated GEMM's column panels (GemmParams' nr: 2 vectors of 16 floats on
   * AVX-512): a product of n columns costs as much as one of n rounded up to it, which is what
   * makes Winograd lose at 7x7 (6 tile slots per position for F(4x4), computed as 32).
   */
  static final long GEMM_COLUMNS = 32;

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
    double columns = roundUp(g.outputPositions()) * g.batch;
    return GEMM_NS * g.outChannels * g.channels * taps * columns + VECTOR_NS * copies
        + GEMM_CALL_NS * g.batch * g.group;
  }

  private static double roundUp(long columns) {
    return (double) ((columns + GEMM_COLUMNS - 1) / GEMM_COLUMNS * GEMM_COLUMNS);
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
    double gemm = a * a * g.outChannels * g.channels * roundUp(g.batch * grid.slots());
    return SMALL_GEMM_NS * gemm + GEMM_CALL_NS * a * a
        + VECTOR_NS * (zero + inputTransform + outputTransform) + SCALAR_NS * (inputs + outputs);
  }

  // ---- NCHWc: direct (NchwcDirectConv) or Winograd (NchwcWinogradConv) ----------------------

  /**
   * ns per multiply-add of the blocked direct convolution's microkernel: 97 per ns since its taps
   * run as one loop (session 9, ConvBench p10 at 1 thread: 64@56^2 1.14 ms, 128@28^2 1.23, the
   * stride-2 64@56^2 -> 128 0.59; 80 before, when C2 spilled the accumulators between the loops).
   */
  static final double NCHWC_DIRECT_NS = 1 / 80.0;
  /** ns per multiply-add of Winograd's per-position GEMMs on the blocked layout. */
  static final double NCHWC_GEMM_NS = 1 / 43.0;
  /** ns per GEMM call of a chunk (packing A, scratch, loop set-up). */
  static final double NCHWC_GEMM_CALL_NS = 870;
  /** ns per tile, channel block and transform position, of each transform (input and output). */
  static final double NCHWC_TRANSFORM_NS = 8.7;
  /** ns per element of the zero-bordered copy of the input. */
  static final double NCHWC_COPY_NS = 0.05;

  /**
   * The Winograd tile for a blocked convolution NchwcWinogradConv supports, or empty for the
   * direct kernel: forced by {@code -Dkiln.conv.algorithm} (WINOGRAD_F2 or WINOGRAD_F4 force the
   * tile, any other algorithm the direct kernel), else the cheapest of the three estimates.
   */
  static java.util.Optional<WinogradConv.Tile> nchwcWinograd(NchwcConvOperands op) {
    return nchwcWinograd(op, false);
  }

  /**
   * As {@link #nchwcWinograd(NchwcConvOperands)}, with the Winograd GEMMs costed at their
   * in-cache rate when {@code weightsResident} (the model's constants stay in the last-level
   * cache between runs, {@link #weightsResident}).
   */
  static java.util.Optional<WinogradConv.Tile> nchwcWinograd(NchwcConvOperands op, boolean weightsResident) {
    if (!NchwcWinogradConv.supports(op)) {
      return java.util.Optional.empty();
    }
    java.util.Optional<ConvLowerings.Algorithm> forced = ConvLowerings.forcedByProperty();
    if (forced.isPresent()) {
      return switch (forced.get()) {
        case WINOGRAD_F2 -> java.util.Optional.of(WinogradConv.Tile.F2);
        case WINOGRAD_F4 -> java.util.Optional.of(WinogradConv.Tile.F4);
        default -> java.util.Optional.empty();
      };
    }
    WinogradConv.Tile tile = nchwcTile(op);
    return nchwcWinograd(op, tile, weightsResident) < nchwcDirect(op)
        ? java.util.Optional.of(tile) : java.util.Optional.empty();
  }

  /** The cheaper Winograd tile of a blocked convolution (the GEMMs' rate does not change the order). */
  static WinogradConv.Tile nchwcTile(NchwcConvOperands op) {
    return nchwcWinograd(op, WinogradConv.Tile.F2) <= nchwcWinograd(op, WinogradConv.Tile.F4)
        ? WinogradConv.Tile.F2 : WinogradConv.Tile.F4;
  }

  /**
   * A model whose run touches at most this many bytes (constants, inputs and every computed
   * value, {@code LoweringContext.runBytes}) keeps its weights in the last-level cache between
   * runs: half of a 32 MiB L3 (what CacheSizes assumes where a VM hides its caches, as this one
   * does), the other half left to scratch and the host's other tenants. MobileNetV2's 14 MB of
   * weights alone would pass; with its activations (tens of MB) it does not, and its classifier
   * is indeed read cold every run.
   */
  static final long RESIDENT_RUN_BYTES = 16L << 20;

  /** Whether a model whose run touches {@code runBytes} keeps its weights in cache between runs. */
  static boolean weightsResident(long runBytes) {
    return runBytes <= RESIDENT_RUN_BYTES;
  }

  /**
   * ns per multiply-add of Winograd's per-position GEMMs when the transformed weights U stay in
   * the last-level cache between runs. {@link #NCHWC_GEMM_NS} was calibrated in ResNet-18, whose
   * 46 MB of weights are cold at every run; a model that fits the cache reads U at cache speed.
   * Measured (session 18): 512@7² forced to F(2x2) (`-Dkiln.conv.algorithm=WINOGRAD_F2`, the
   * layer alone, 1 thread) 0.85 to 0.96 ms against 1.17 to 1.19 for the direct kernel in quiet
   * phases, 1.11 to 1.23 against about 1.2 in busy ones; the model's 0.16 ms of transforms
   * taken off, the GEMMs ran at 87 to 100 multiply-adds per ns; 84 here. In ResNet-18 (cold)
   * the same three layers as F(2x2) left the network unchanged (1 thread 0.81 0.78 against 0.79
   * 0.78), so the cold rate stays for models over {@link #RESIDENT_RUN_BYTES}.
   */
  static final double NCHWC_GEMM_RESIDENT_NS = 1 / 84.0;

  /**
   * ns per multiply-add of the direct kernel on a zero-bordered copy of its input (codegen's
   * ConvGenerator.bordered: a blocked, padded input and fewer than {@link #BORDERED_MAX_WIDTH}
   * output columns): whole rows of microkernels, no one-pixel border kernels. Measured 1.15 to
   * 1.21 ms for the 115.6 M multiply-adds of 512@7^2 and 256@14^2 (ConvBench, CPU time, 1 thread).
   */
  static final double NCHWC_BORDERED_NS = 1 / 100.0;
  /** ConvGenerator.BORDERED_MAX_WIDTH. */
  static final long BORDERED_MAX_WIDTH = 28;

  /** The direct kernel: every multiply-add at the microkernel's rate. */
  static double nchwcDirect(NchwcConvOperands op) {
    double macs = (double) op.batch() * op.y().dim(1) * op.block() * op.channels() * op.kernel()[0]
        * op.kernel()[1] * op.outHeight() * op.outWidth();
    boolean padded = java.util.Arrays.stream(op.padBegin()).anyMatch(p -> p > 0)
        || java.util.Arrays.stream(op.padEnd()).anyMatch(p -> p > 0);
    boolean bordered = !op.nchwInput() && padded && op.outWidth() < BORDERED_MAX_WIDTH;
    return (bordered ? NCHWC_BORDERED_NS : NCHWC_DIRECT_NS) * macs;
  }

  /**
   * Winograd: the GEMMs (rows rounded up to the microkernel's 8 per chunk), a GEMM call per
   * position and chunk, the transforms (per tile, block and position) and the bordered copy.
   *
   * <p>Calibration: ResNet-18 at -O3, 1 thread, {@code kiln bench --profile} per kernel in the network
   * (16:31 UTC, load average 2 to 5). Direct: 1.40 / 1.46 / 1.54 / 1.82 ms at 64@56² / 128@28² /
   * 256@14² / 512@7² (115.6 M multiply-adds each, 80 per ns but at 7²); Winograd as chosen
   * then: F(4x4) 1.55 to 1.83 / 1.14 to 1.24 / 0.99 to 1.06 ms, F(2x2) at 7² 1.72 to 1.76 ms,
   * about 1.45x what single-layer runs (weights and data resident in cache) had given, so
   * every Winograd constant was scaled by that. The model: F(4x4) 1.59 / 1.23 / 1.07, F(2x2) at
   * 7² 1.72, direct 1.45: Winograd at 28² and 14², direct at 56² and 7².
   */
  static double nchwcWinograd(NchwcConvOperands op, WinogradConv.Tile tile) {
    return nchwcWinograd(op, tile, false);
  }

  /** The estimate above, with the GEMMs at {@link #NCHWC_GEMM_RESIDENT_NS} when {@code weightsResident}. */
  static double nchwcWinograd(NchwcConvOperands op, WinogradConv.Tile tile, boolean weightsResident) {
    NchwcWinogradConv.Plan p = NchwcWinogradConv.Plan.of(op, tile);
    double a2 = p.positions();
    double chunks = p.fullChunks() + (p.rest() > 0 ? 1 : 0);
    double rows = p.fullChunks() * roundUp8(p.perChunk()) + roundUp8(p.rest());
    double gemm = a2 * op.channels() * p.outPadded() * rows;
    double blocks = op.x().dim(1) + op.y().dim(1);
    return (weightsResident ? NCHWC_GEMM_RESIDENT_NS : NCHWC_GEMM_NS) * gemm + NCHWC_GEMM_CALL_NS * a2 * chunks
        + NCHWC_TRANSFORM_NS * p.tiles() * blocks * a2 + NCHWC_COPY_NS * p.padded();
  }

  private static double roundUp8(long rows) {
    return (rows + 7) / 8 * 8;
  }
}
