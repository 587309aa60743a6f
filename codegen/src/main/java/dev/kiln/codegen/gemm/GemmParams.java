package dev.kiln.codegen.gemm;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The shape of the generated GEMM code: the register block of the microkernel ({@code mr} rows by
 * {@code nrVectors} vectors of {@code lanes} floats), its K unroll, and the cache blocks
 * {@code kc} (the depth of packed panels: a B micro-panel {@code kc x nr} stays in L1), {@code mc}
 * (rows of packed A, which stays in L2) and {@code nc} (columns of packed B, in L3). Part of the
 * emit options, so of the kernel cache key: code generated for other caches is never reused.
 *
 * @param lanes floats per vector of the generated code ({@code 4, 8, 16}); 0 disables the GEMM
 *     generator (no Vector API), and matmuls run as plain loops
 * @param deepK the deepest K a GEMM takes as one K block, deeper than {@code kc} (its micro-panels
 *     of B then stream from L2, and A's row block shrinks to keep {@code mc x K} in half of L2);
 *     0: K blocks of about {@code kc} always
 */
public record GemmParams(int lanes, int mr, int nrVectors, int unroll, int kc, int mc, int nc, long l1, long l2,
    int deepK) {
  public GemmParams {
    checkArgument(lanes == 0 || lanes == 4 || lanes == 8 || lanes == 16, "lanes %s", lanes);
    checkArgument(mr >= 1 && nrVectors >= 1 && unroll >= 1, "register block %s x %s, unroll %s",
        mr, nrVectors, unroll);
    checkArgument(kc >= 1 && mc >= mr && mc % mr == 0, "kc %s, mc %s (a multiple of mr %s)", kc, mc, mr);
    checkArgument(lanes == 0 || (nc >= lanes * nrVectors && nc % (lanes * nrVectors) == 0),
        "nc %s must be a multiple of nr", nc);
    checkArgument(deepK >= 0, "deepK %s", deepK);
  }

  /** Blocks of about kc whatever the depth ({@code deepK} 0), as hand-made blockings for tests. */
  public GemmParams(int lanes, int mr, int nrVectors, int unroll, int kc, int mc, int nc, long l1, long l2) {
    this(lanes, mr, nrVectors, unroll, kc, mc, nc, l1, l2, 0);
  }

  /** No generated GEMM: matmuls as plain loops. */
  public static final GemmParams NONE =
      new GemmParams(0, 1, 1, 1, 1, 1, 1, CacheSizes.DEFAULTS.l1(), CacheSizes.DEFAULTS.l2());

  /** Without the cache sizes: the defaults'. */
  public GemmParams(int lanes, int mr, int nrVectors, int unroll, int kc, int mc, int nc) {
    this(lanes, mr, nrVectors, unroll, kc, mc, nc, CacheSizes.DEFAULTS.l1(), CacheSizes.DEFAULTS.l2());
  }

  /** Floats that fit the L1 data cache. */
  public int l1Floats() {
    return (int) Math.min(Integer.MAX_VALUE, l1 / 4);
  }

  /** Columns of the register block. */
  public int nr() {
    return lanes * nrVectors;
  }

  public boolean enabled() {
    return lanes > 0;
  }

  /**
   * The blocking for {@code lanes}-float vectors and these caches: {@code mr = 8} rows of
   * {@code 2} vectors (16 accumulators; 6 x 2 below 16 lanes leaves registers for the operands);
   * {@code kc} so that a B micro-panel fills about two thirds of L1; {@code mc} so that packed A
   * fills half of L2; {@code nc} so that packed B fills half of L3; {@code deepK} so that a B
   * micro-panel of the whole depth fills a quarter of L2 (K up to 2048 at 1 MiB and 32 columns).
   * One K block of the whole depth loads and stores each C tile once and runs fewer, longer
   * microkernel calls; Zen 5's L2 feeds the B panel (2 vectors per 16 fmas) as fast as L1 did.
   * Interleaved beside ONNX Runtime, 1 thread, alternating {@code -Dkiln.gemm.deepK=false}
   * (session 15): 1024³ 0.99 / 1.02 against 1.07 / 1.07, 2048³ 0.99 against 1.03, 128 x 768 x
   * 3072 1.01 against 1.07, MLP 784-512-512-10 batch 64 0.98 against 1.07; 2 threads: 2048³
   * 1.01 against 1.13, 1024³ 1.13 against 1.17, 128 x 768 x 3072 1.09 against 1.14.
   */
  public static GemmParams of(int lanes, CacheSizes caches) {
    // For measuring only, each overridable by a system property (kiln.gemm.mr, .nrVectors, .kc,
    // .mc, .unroll); they are part of toString(), so of the kernel cache key. Session 10 on 1024³,
    // 1 thread (Zen 5, fp32 peak ~225 GFLOP/s): 12 x 2, 14 x 2, 6 x 4, 4 x 4 vectors, kc 128 / 384,
    // mc 128 / 256 and unroll 2 all within the noise of 8 x 2 (12.2 to 13.5 ms), unroll 4 slower.
    if (lanes == 0) {
      return NONE;
    }
    int mr = Integer.getInteger("kiln.gemm.mr", lanes >= 16 ? 8 : 6);
    int nrVectors = Integer.getInteger("kiln.gemm.nrVectors", 2);
    int nr = lanes * nrVectors;
    int kc = (int) Math.max(32, Math.min(1024, caches.l1() * 2 / 3 / (4L * nr)));
    kc = Integer.getInteger("kiln.gemm.kc", kc);
    kc -= kc % 8;
    int mc = (int) Math.max(mr, Math.min(4096, caches.l2() / 2 / (4L * kc)));
    mc = Integer.getInteger("kiln.gemm.mc", mc);
    mc -= mc % mr;
    int nc = (int) Math.max(nr, Math.min(1 << 16, caches.l3() / 2 / (4L * kc)));
    nc -= nc % nr;
    int deepK = "false".equals(System.getProperty("kiln.gemm.deepK")) ? 0
        : (int) Math.max(0, caches.l2() / 4 / (4L * nr)) / 8 * 8;
    return new GemmParams(lanes, mr, nrVectors, Integer.getInteger("kiln.gemm.unroll", 1), kc, mc, nc, caches.l1(),
        caches.l2(), deepK);
  }

  /** The text in cache keys and emit options. */
  @Override
  public String toString() {
    return enabled() ? "gemm(lanes=" + lanes + " mr=" + mr + " nr=" + nrVectors + "x" + lanes
        + " unroll=" + unroll + " kc=" + kc + " mc=" + mc + " nc=" + nc + " l1=" + l1 + " l2=" + l2
        + (deepK > 0 ? " deepK=" + deepK : "") + ")"
        : "gemm(off)";
  }
}
