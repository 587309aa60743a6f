package dev.kiln.codegen.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.codegen.SummationErrorBound;
import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.emit.EmittedProgram;
import dev.kiln.codegen.emit.JavaEmitter;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The generated GEMM against the loop-IR interpreter on many shapes, strides, epilogues and thread
 * counts. Blocking reassociates the sums, so each element must agree within
 * {@code (k + 4) * 2^-23 * sum_p |a(i,p)| |b(p,j)| * scale + 1e-6 * |expected|}, the bound of
 * float summation in any order ({@code scale} covers the epilogue's factors).
 *
 * <p>Small blocks ({@code kc = 16, mc = 16, nc = 64}) put many shapes just below, at and above
 * every block multiple, and a second run uses 8-float vectors and an unrolled microkernel.
 */
class GemmDifferentialTest {
  static final GemmParams SMALL_BLOCKS = new GemmParams(16, 8, 2, 1, 16, 16, 64);
  static final GemmParams EIGHT_LANES = new GemmParams(8, 6, 2, 2, 24, 24, 48);

  enum Epilogue { PLAIN, BIAS_COL, BIAS_ROW, RESIDUAL, ALPHA_BETA, RELU, SIGMOID_BIAS, TANH, ERF_SCALAR,
    TRANSPOSED_RESIDUAL }

  /** One matmul case; A and B transposed by strides, a batch loop moving the offsets. */
  record Case(int batch, int m, int n, int k, boolean transA, boolean transB, boolean constB,
      Epilogue epilogue) {
    @Override
    public String toString() {
      return "batch " + batch + " m " + m + " n " + n + " k " + k + (transA ? " A^T" : "")
          + (transB ? " B^T" : "") + (constB ? " const B" : "") + " " + epilogue;
    }
  }

  private static final List<ParallelExecutor> EXECUTORS = List.of(ParallelExecutor.serial(),
      ParallelExecutor.withThreads(3));

  /**
   * The generator's measuring switches ({@code -Dkiln.gemm.packPerTile}, {@code .tilesPerThread},
   * {@code .directA}...) change the emitted source without showing in the loop IR: they must be
   * in the kernel cache key, or a class compiled under one setting is reused under another.
   */
  @Test
  void cacheKeyCarriesTheGeneratorsSwitches() {
    LoopProgram p = program(List.of(new Case(1, 130, 70, 300, false, false, true, Epilogue.PLAIN)), false);
    EmitOptions options = EmitOptions.defaults().withVectorize(true);
    var key = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(1)), options).key(p);
    assertEquals(GemmGenerator.cacheKeyPart(), key.parts().get("gemm"));
    assertTrue(GemmGenerator.cacheKeyPart().contains("packPerTile=true"), GemmGenerator.cacheKeyPart());
    assertTrue(GemmGenerator.cacheKeyPart().contains("tilesPerThread=0"), GemmGenerator.cacheKeyPart());
    assertTrue(GemmGenerator.cacheKeyPart().contains("evenK=true"), GemmGenerator.cacheKeyPart());
    assertTrue(GemmGenerator.cacheKeyPart().contains("transposeA=true"), GemmGenerator.cacheKeyPart());
  }

  @Test
  void edgeShapesPlain() {
    List<Case> cases = new ArrayList<>();
    int[] ms = {1, 2, 7, 8, 9, 15, 16, 17, 33};
    // Up to 4 panels (128 columns here) A is read in place, above it is packed.
    int[] ns = {1, 5, 31, 32, 33, 63, 64, 65, 97, 128, 129, 161};
    int[] ks = {1, 3, 15, 16, 17, 40};
    Random r = new Random(7);
    for (int m : ms) {
      for (int n : ns) {
        int k = ks[r.nextInt(ks.length)];
        cases.add(new Case(1, m, n, k, false, false, r.nextBoolean(), Epilogue.PLAIN));
      }
    }
    check(cases, SMALL_BLOCKS);
  }

  @Test
  void stridesBatchesAndEpilogues() {
    List<Case> cases = new ArrayList<>();
    Random r = new Random(11);
    int[] sizes = {1, 3, 8, 13, 17, 32, 33, 50};
    for (Epilogue e : Epilogue.values()) {
      for (int t = 0; t < 4; t++) {
        cases.add(new Case(1 + r.nextInt(3), sizes[r.nextInt(sizes.length)], sizes[r.nextInt(sizes.length)],
            sizes[r.nextInt(sizes.length)], r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), e));
      }
    }
    check(cases, SMALL_BLOCKS);
    check(cases, EIGHT_LANES);
  }

  @Test
  void defaultBlocksLargerShapes() {
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    check(List.of(
        new Case(1, 130, 70, 300, false, false, false, Epilogue.RELU),
        new Case(1, 1, 300, 260, false, false, true, Epilogue.BIAS_COL),
        new Case(2, 67, 129, 257, true, true, false, Epilogue.RESIDUAL),
        new Case(1, 4, 97, 513, false, true, false, Epilogue.ALPHA_BETA)), machine);
  }

  @Test
  void depthsUpToDeepKAreOneKBlockWithFewerRowsOfA() {
    // deepK 512 at kc 64 (a 1 MiB L2): 300 and 512 deep are one block each (C stored once, a
    // microkernel of literal depth, no accumulation), and A's row block shrinks to keep mc x K in
    // half of L2; 513 is K-blocked as without deepK. Each against the interpreter, 1 and 3 threads.
    GemmParams deep = new GemmParams(16, 8, 2, 1, 64, 512, 64, 48 << 10, 1 << 20, 512);
    GemmGenerator g = new GemmGenerator(deep, new com.palantir.javapoet.NameAllocator());
    assertEquals(300, g.kc(300));
    assertEquals(512, g.kc(512));
    assertEquals(64, g.kc(513 + 63));
    assertEquals(64, g.kc(40));
    assertEquals(512, g.mc(300 - 64));
    assertEquals(432, g.mc(300));
    assertEquals(256, g.mc(512));
    assertEquals(512, g.mc(1024));
    List<Case> cases = List.of(new Case(1, 75, 70, 300, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 530, 64, 512, false, false, false, Epilogue.RESIDUAL),
        new Case(2, 19, 200, 300, true, false, false, Epilogue.RELU));
    check(cases, deep);
    String source = source(program(cases.subList(0, 2), false), deep);
    assertTrue(source.contains("p < 300; p++") && source.contains("p < 512; p++"), source);
    assertFalse(source.contains("if (accumulate)"), source);
    assertTrue(source.contains("pc += 300)") && source.contains("pc += 512)"), source);
  }

  @Test
  void kBlocksAreEvenedOutRatherThanEndingInAFewSteps() {
    // kc 256: 784 in three blocks of 264 (one fewer, an eighth deeper at most), 300 in two of
    // 152 (one block of 300 would be too deep), multiples of kc and depths below it unchanged.
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    GemmParams kc256 = new GemmParams(machine.lanes(), machine.mr(), machine.nrVectors(), machine.unroll(), 256,
        machine.mc(), machine.nc(), machine.l1(), machine.l2());
    GemmGenerator g = new GemmGenerator(kc256, new com.palantir.javapoet.NameAllocator());
    assertEquals(264, g.kc(784));
    assertEquals(152, g.kc(300));
    assertEquals(256, g.kc(1000));
    assertEquals(256, g.kc(512));
    assertEquals(256, g.kc(200));
    // The code of 784 = 264 + 264 + 256 (a microkernel of variable depth) against the interpreter,
    // C written over three K blocks and the epilogue after the last.
    check(List.of(new Case(1, 64, 80, 784, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 19, 40, 784, false, false, false, Epilogue.RESIDUAL)), kc256);
    LoopProgram p = program(List.of(new Case(1, 64, 80, 784, false, false, false, Epilogue.BIAS_COL)), false);
    String source = source(p, kc256);
    assertTrue(source.contains("pc += 264)"), source);
  }

  /**
   * Shapes above the parallel threshold (4 MFLOP) with ragged edges, so that on 3 threads the
   * tiles are split by rows and by columns and taken from the shared counter, B packed by column
   * blocks (input B) or prepacked; and GEMVs (M = 1, small M) split by columns.
   */
  @Test
  void parallelTilesAndGemvsOnOddShapes() {
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    List<Case> cases = List.of(
        new Case(1, 131, 161, 129, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 131, 161, 129, false, false, false, Epilogue.RELU),
        new Case(1, 257, 33, 301, true, false, false, Epilogue.PLAIN),
        new Case(1, 17, 1000, 129, false, true, true, Epilogue.RESIDUAL),
        new Case(1, 9, 997, 300, false, false, false, Epilogue.BIAS_ROW),
        new Case(1, 1, 3001, 701, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 1, 2999, 703, false, false, false, Epilogue.RELU),
        new Case(1, 1, 1001, 2049, false, true, false, Epilogue.PLAIN),
        new Case(1, 3, 1501, 1003, false, false, true, Epilogue.TANH),
        new Case(1, 5, 1500, 999, true, false, false, Epilogue.PLAIN));
    check(cases, machine);
    // Many K blocks and row/column blocks for the blocked cases (the small-M paths have none).
    check(cases.subList(0, 5), SMALL_BLOCKS);
  }

  @Test
  void emptyExtentsRunPlainLoops() {
    check(List.of(new Case(1, 0, 5, 3, false, false, false, Epilogue.BIAS_COL),
        new Case(1, 4, 0, 3, false, false, false, Epilogue.PLAIN),
        new Case(2, 3, 5, 0, false, false, true, Epilogue.BIAS_COL)), SMALL_BLOCKS);
  }

  @Test
  void generatedCodeUsesTheMicrokernel() {
    LoopProgram p = program(List.of(new Case(1, 64, 64, 64, false, false, false, Epilogue.RELU)), false);
    String source = source(p, SMALL_BLOCKS);
    assertTrue(source.contains("gemmMicro(") && source.contains(".fma(") && source.contains("lanewise")
        == false && source.contains("FloatVector.SPECIES_512"), source);
    // Whole panels are copied by the shared methods (hot for C2 early), not in the GEMM's own.
    assertTrue(source.contains("gemmPackPanelA(a, ") && source.contains("gemmPackPanelB(b, "), source);
  }

  /**
   * 8-row panels of 16-lane vectors are packed by transposing 8 x 16 blocks in registers (three
   * rounds of two-vector permutes); the columns past the last whole 16 one at a time. A of more than
   * 64 rows (fewer are read in place) with depths 53 (16 x 3 + 5), 15 (no whole 16) and 130 (in K
   * blocks of 64), and partial last panels, plus a transposed A (its own copy), on one and three
   * threads, agree with the interpreter; 8 lanes keep the element copy.
   */
  @Test
  void aPanelsArePackedByTransposesInRegistersOn16Lanes() {
    GemmParams deep = new GemmParams(16, 8, 2, 1, 64, 32, 64);
    List<Case> cases = List.of(
        new Case(1, 77, 200, 53, false, false, false, Epilogue.RELU),
        new Case(1, 72, 170, 15, false, false, true, Epilogue.PLAIN),
        new Case(2, 24, 160, 150, true, false, false, Epilogue.BIAS_COL),
        new Case(1, 70, 300, 130, false, true, true, Epilogue.RESIDUAL));
    LoopProgram p = program(cases, false);
    String source = source(p, deep);
    assertTrue(source.contains("x4.selectFrom(q0, q4).intoArray(ap, o + 0)")
        && source.contains("for (int p = p0; p < kc; p++)"), source);
    check(cases, deep);
    String eight = source(p, EIGHT_LANES);
    assertFalse(eight.contains("selectFrom"), eight);
    assertTrue(eight.contains("for (int p = 0; p < kc; p++)"), eight);
  }

  /**
   * One microkernel per depth of one K block (trip count a literal, no accumulation) shared by the
   * GEMMs of that depth, one for all GEMMs of several K blocks, packed and in-place A apart; and
   * the GEMMs of one class, each on its own kernel, still agree with the interpreter.
   */
  @Test
  void microkernelsPerDepthOfOneKBlock() {
    List<Case> cases = List.of(
        new Case(1, 24, 40, 12, false, false, false, Epilogue.RELU),
        new Case(1, 17, 200, 12, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 24, 40, 16, false, false, false, Epilogue.PLAIN),
        new Case(1, 33, 200, 40, false, false, false, Epilogue.RESIDUAL),
        new Case(1, 9, 300, 57, false, true, true, Epilogue.PLAIN),
        new Case(1, 24, 200, 16, true, false, false, Epilogue.PLAIN));
    LoopProgram p = program(cases, false);
    String source = source(p, SMALL_BLOCKS);
    // In place (N <= 4 panels, or M <= 64 rows), one per depth and row stride of A: depths 12
    // and 16 (rows 12 and 16 apart) and two K-blocked ones (rows 40 and 57 apart, a literal in
    // each: row 7 of the block at 7 x 40 and 7 x 57); packed (the last partial row panel of 17, 33
    // and 9 rows, transposed A): 12, 16 and the K-blocked one.
    assertEquals(4, count(source, "private static void gemmMicroDirect"), source);
    assertEquals(7, count(source, "private static void gemmMicro"), source);
    assertTrue(source.contains("ap[pa + 280]") && source.contains("ap[pa + 399]"), source);
    assertTrue(source.contains("p < 12; p++") && source.contains("p < 16; p++") && source.contains("p < kc; p++"),
        source);
    // Only the K-blocked ones (two in place, one packed) accumulate into C.
    assertEquals(3, count(source, "if (accumulate)"), source);
    check(cases, SMALL_BLOCKS);
  }

  /**
   * A program compiled twice by one compiler: the second comes from the kernel cache (the emitter
   * did not run) and still gives its source, emitted again, the same as the first's
   * ({@code kiln compile --emit-java} on a cached artifact class).
   */
  @Test
  void aCachedCompileStillGivesTheSourceItWasCompiledFrom() {
    LoopProgram p = program(List.of(new Case(1, 24, 40, 12, false, false, true, Epilogue.RELU)), false);
    EmitOptions options = EmitOptions.defaults().withVectorize(true).withGemm(SMALL_BLOCKS);
    ProgramCompiler compiler = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(4)), options);
    ProgramCompiler.Result first = compiler.compile(p, FrameLayout.unplanned(p));
    ProgramCompiler.Result second = compiler.compile(p, FrameLayout.unplanned(p));
    assertTrue(first.emittedOrNull() != null, "the first compile runs the emitter");
    assertTrue(second.emittedOrNull() == null, "the second compile is a cache hit");
    assertEquals(first.emittedOrNull().source(), second.emittedProgram().source());
    assertTrue(second.emittedProgram().source().contains("gemmMicro"), second.emittedProgram().source());
  }

  /**
   * A GEMV over enough constant B to split hands its column panels out by RangeClaims (a region
   * per thread); GEMVs of one M and A strides share one kernel whatever their depth (an MLP's
   * 512 x 10 last layer runs the wide layers' kernel, compiled early), and still agree with the
   * interpreter.
   */
  @Test
  void largeGemvClaimsPanelsByRegionAndGemvsShareTheirKernel() {
    EmitOptions options = EmitOptions.defaults().withVectorize(true);
    List<Case> cases = List.of(new Case(1, 1, 1000, 600, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 1, 10, 512, false, false, true, Epilogue.RELU),
        new Case(1, 1, 70, 33, false, false, false, Epilogue.PLAIN));
    PackedWeights.Result packed = PackedWeights.pack(program(cases, false), options.effectiveGemm());
    LoopProgram p = packed.program();
    String source = JavaEmitter.emit(p, FrameLayout.unplanned(p), options, packed.packed()).source();
    assertTrue(source.contains("gemmPanelsShared(") && source.contains("claims.claim(t)"), source);
    assertEquals(1, count(source, "private static void gemmRows"), source);
    check(cases, options.effectiveGemm());
  }

  /**
   * The small-M paths split on 2 and 3 threads over few panels (fewer than threads, one each, a
   * ragged last panel) and many (claims of several panels, a ragged last claim), B constant
   * (panels claimed by region) and input (column ranges): each column is computed once, right.
   */
  @Test
  void smallMSplitsCoverEveryColumnPanelOnTwoAndThreeThreads() {
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    List<Case> cases = new ArrayList<>();
    int[][] nk = {{33, 1000}, {65, 600}, {96, 400}, {161, 300}, {3073, 40}, {1001, 129}};
    Epilogue[] epilogues = {Epilogue.BIAS_COL, Epilogue.RELU, Epilogue.PLAIN, Epilogue.RESIDUAL};
    int e = 0;
    for (int m : new int[] {1, 3}) {
      for (int[] x : nk) {
        for (boolean constB : new boolean[] {true, false}) {
          cases.add(new Case(1, m, x[0], x[1], false, false, constB, epilogues[e++ % epilogues.length]));
        }
      }
    }
    check(cases, machine, List.of(ParallelExecutor.withThreads(2), ParallelExecutor.withThreads(3)));
  }

  /**
   * A packed per tile (tiles of whole rows: every row block of A packed once, by the thread that
   * runs it) and packed whole before the tiles (tiles split by columns too, or input B in several
   * column blocks) on odd shapes: within the bound of the interpreter on 1, 2 and 3 threads, and
   * bit for bit the same on each (every element's sum runs in the same order whatever the tiles;
   * no transcendental epilogue here: the Vector API's tanh differs in the last bit between its
   * interpreted fallback and C2's intrinsic).
   */
  @Test
  void tilesPackingTheirOwnRowsOfAGiveTheSameBitsOnOneTwoAndThreeThreads() {
    List<Case> cases = List.of(
        new Case(1, 257, 161, 129, true, false, false, Epilogue.RELU),
        new Case(1, 203, 197, 301, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 131, 161, 129, false, true, true, Epilogue.RESIDUAL),
        new Case(2, 77, 300, 200, false, false, false, Epilogue.PLAIN),
        new Case(1, 1031, 167, 70, false, false, true, Epilogue.BIAS_ROW));
    for (GemmParams params : List.of(EmitOptions.defaults().withVectorize(true).gemm(), SMALL_BLOCKS, EIGHT_LANES)) {
      check(cases, params, ONE_TWO_THREE);
      LoopProgram p = program(cases, false);
      EmitOptions options = EmitOptions.defaults().withVectorize(true).withGemm(params);
      // Constant B is prepacked when compiled (one column block: its tiles pack A per tile).
      String source = packedSource(p, options);
      assertTrue(source.contains("gemmPackRows(a, ao, ap, i0, i1, pc, kc)"), source);
      assertSameBitsOnEveryExecutor(cases, p, options, ONE_TWO_THREE, 3);
    }
  }

  /**
   * Split GEMMs of at most 128 rows (MLP batch 64, the transformer's projections) claim their
   * tiles by region, columns first, and read A in place up to 64 rows (not when A's rows are
   * 4 KiB apart, nor transposed): ragged M, N and K on 1, 2 and 3 threads, constant and input B,
   * several epilogues, each element computed once and right; and with small blocks, several K,
   * row and column blocks.
   */
  @Test
  void smallMTilesClaimedByRegionOnOneTwoAndThreeThreads() {
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    List<Case> cases = List.of(
        new Case(1, 8, 300, 900, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 17, 257, 500, false, false, false, Epilogue.RELU),
        new Case(1, 63, 161, 250, false, false, true, Epilogue.RESIDUAL),
        new Case(1, 64, 200, 170, false, true, true, Epilogue.SIGMOID_BIAS),
        new Case(1, 65, 161, 201, false, false, true, Epilogue.PLAIN),
        new Case(1, 128, 96, 180, false, false, true, Epilogue.BIAS_ROW),
        new Case(1, 100, 130, 170, true, false, false, Epilogue.ALPHA_BETA),
        new Case(1, 40, 160, 1024, false, false, true, Epilogue.TANH),
        new Case(2, 129, 161, 240, false, false, false, Epilogue.PLAIN));
    List<ParallelExecutor> executors = List.of(ParallelExecutor.serial(), ParallelExecutor.withThreads(2),
        ParallelExecutor.withThreads(3));
    check(cases, machine, executors);
    check(cases.subList(0, 6), SMALL_BLOCKS, executors);

    LoopProgram p = program(List.of(cases.get(3), cases.get(7), cases.get(8)), false);
    String source = source(p, machine);
    // 64 rows: claimed tiles, A in place; 40 x 1024: claimed, A packed (rows 4 KiB apart);
    // 129 rows: the shared counter. The two with packed A also have the branch where tiles of
    // whole rows pack their own A (one column block, decided at run time), from the counter.
    assertEquals(2, count(source, "par.forRange(t, (RangeTask) (lo, hi) -> gemmTilesClaimed"), source);
    assertEquals(3, count(source, "final AtomicInteger next = new AtomicInteger()"), source);
    assertEquals(1, count(source, "private static void gemmMicroDirect"), source);
  }

  /**
   * Few rows with B of 5 to 8 panels and packed A: on several threads the tiles are whole rows
   * (2 per thread, at least 4 row panels high) that pack their own rows of A, instead of column
   * tiles after a separate loop packing A whole. Ragged shapes, constant and input B, within the
   * interpreter's bound and bit for bit the same on 1, 2 and 3 threads.
   */
  @Test
  void fewRowsAndNarrowBSplitIntoTilesOfWholeRows() {
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    List<Case> cases = List.of(
        new Case(1, 128, 256, 1024, false, false, true, Epilogue.RESIDUAL),
        new Case(1, 100, 200, 300, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 77, 161, 250, false, false, false, Epilogue.RELU),
        new Case(1, 128, 250, 64, false, true, true, Epilogue.PLAIN));
    check(cases, machine, ONE_TWO_THREE);
    LoopProgram p = program(cases, false);
    EmitOptions options = EmitOptions.defaults().withVectorize(true).withGemm(machine);
    String source = packedSource(p, options);
    assertEquals(cases.size(), count(source, "final int want = 2 * t"), source);
    assertSameBitsOnEveryExecutor(cases, p, options, ONE_TWO_THREE, 5);
  }

  /**
   * GEMMs of at least two L2 row blocks (mc rows) split on several threads into tiles of mc rows
   * (one per thread when there are just enough), not four per thread: ragged M, N and K,
   * constant and input B, within the interpreter's bound and bit for bit the same on 1, 2 and 3
   * threads. mc is set small here so that the shapes stay cheap.
   */
  @Test
  void manyRowsSplitIntoTilesOfMcRows() {
    GemmParams machine = EmitOptions.defaults().withVectorize(true).gemm();
    int mc = 4 * machine.mr();
    GemmParams params = new GemmParams(machine.lanes(), machine.mr(), machine.nrVectors(), machine.unroll(),
        machine.kc(), mc, machine.nc(), machine.l1(), machine.l2());
    List<Case> cases = List.of(
        new Case(1, 2 * mc, 200, 150, false, false, true, Epilogue.BIAS_COL),
        new Case(1, 3 * mc + 5, 130, 257, false, false, false, Epilogue.RELU),
        new Case(1, 6 * mc - 1, 96, 300, false, true, true, Epilogue.RESIDUAL));
    check(cases, params, ONE_TWO_THREE);
    LoopProgram p = program(cases, false);
    EmitOptions options = EmitOptions.defaults().withVectorize(true).withGemm(params);
    String source = packedSource(p, options);
    for (Case c : cases) {
      assertTrue(source.contains("final int want = " + c.m() + " >= " + mc + " * t ? t : "), c + "\n" + source);
    }
    assertSameBitsOnEveryExecutor(cases, p, options, ONE_TWO_THREE, 7);
  }

  /** Executors of 1, 2 and 3 threads, for the splits' bit-identity checks. */
  private static final List<ParallelExecutor> ONE_TWO_THREE = List.of(ParallelExecutor.serial(),
      ParallelExecutor.withThreads(2), ParallelExecutor.withThreads(3));

  /** The generated source of {@code p} with its constant B packed, as a model compiles it. */
  private static String packedSource(LoopProgram p, EmitOptions options) {
    PackedWeights.Result packed = PackedWeights.pack(p, options.effectiveGemm());
    return JavaEmitter.emit(packed.program(), FrameLayout.unplanned(packed.program()), options, packed.packed())
        .source();
  }

  /**
   * Compiles {@code p} (one kernel per case) and runs it on each executor: every output bit for
   * bit what the first executor (1 thread) gives, whatever the split.
   */
  private static void assertSameBitsOnEveryExecutor(List<Case> cases, LoopProgram p, EmitOptions options,
      List<ParallelExecutor> executors, long seed) {
    EmittedProgram emitted = JavaEmitter.emit(p, FrameLayout.unplanned(p), options);
    var executable = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(4)), options)
        .compile(p, emitted.layout()).executable();
    Map<String, Tensor> in = inputs(p, seed);
    Map<String, Tensor> serial = executable.run(in, executors.get(0));
    for (ParallelExecutor ex : executors.subList(1, executors.size())) {
      Map<String, Tensor> parallel = executable.run(in, ex);
      for (int c = 0; c < cases.size(); c++) {
        assertTrue(java.util.Arrays.equals(serial.get("c" + c).toFloatArray(), parallel.get("c" + c).toFloatArray()),
            cases.get(c) + " with " + options.gemm() + " on " + ex.threads() + " threads differs from 1 thread");
      }
    }
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  // ---- machinery ----

  /** The Java source the emitter generates for {@code p} with {@code params}' GEMM blocking. */
  private static String source(LoopProgram p, GemmParams params) {
    return JavaEmitter.emit(p, FrameLayout.unplanned(p), EmitOptions.defaults().withVectorize(true).withGemm(params))
        .source();
  }

  private static void check(List<Case> cases, GemmParams params) {
    check(cases, params, EXECUTORS);
  }

  private static void check(List<Case> cases, GemmParams params, List<ParallelExecutor> executors) {
    LoopProgram p = program(cases, false);
    LoopProgram magnitudes = program(cases, true);
    assertTrue(LoopVerifier.verify(p).isEmpty(), () -> LoopVerifier.verify(p).toString());
    EmitOptions options = EmitOptions.defaults().withVectorize(true).withGemm(params);
    ProgramCompiler compiler = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(4)), options);
    EmittedProgram emitted = JavaEmitter.emit(p, FrameLayout.unplanned(p), options);
    for (long seed = 1; seed <= 2; seed++) {
      Map<String, Tensor> in = inputs(p, seed);
      Map<String, Tensor> expected = LoopInterpreter.run(p, in);
      Map<String, Tensor> bound = LoopInterpreter.run(magnitudes, SummationErrorBound.absolute(in));
      for (ParallelExecutor ex : executors) {
        Map<String, Tensor> actual = compiler.compile(p, emitted.layout()).executable().run(in, ex);
        for (int c = 0; c < cases.size(); c++) {
          Case gemmCase = cases.get(c);
          // The alpha-beta epilogue's factors scale the bound.
          double scale = gemmCase.epilogue == Epilogue.ALPHA_BETA ? 1.5 : 1;
          SummationErrorBound.assertWithin(expected.get("c" + c), actual.get("c" + c),
              bound.get("c" + c), gemmCase.k, scale,
              gemmCase + " with " + params + ", seed " + seed + ", " + ex.threads() + " threads",
              emitted.source());
        }
      }
    }
  }

  private static Map<String, Tensor> inputs(LoopProgram p, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (Buffer b : p.inputs()) {
      float[] v = new float[(int) b.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextGaussian();
      }
      in.put(b.name(), Tensor.ofFloats(b.shapeArray(), v));
    }
    return in;
  }

  /**
   * One kernel per case. With {@code magnitudes}, the same products without epilogue, B's
   * constant made absolute: run on |inputs| it gives sum_p |a| |b| for the tolerance.
   */
  static LoopProgram program(List<Case> cases, boolean magnitudes) {
    List<Buffer> inputs = new ArrayList<>();
    List<Buffer> outputs = new ArrayList<>();
    Map<Buffer, Tensor> constants = new LinkedHashMap<>();
    List<Kernel> kernels = new ArrayList<>();
    Random r = new Random(99);
    for (int x = 0; x < cases.size(); x++) {
      Case c = cases.get(x);
      List<Buffer> buffers = new ArrayList<>();
      Buffer a = c.transA ? Buffer.of("a" + x, DType.F32, BufferRole.INPUT, c.batch, c.k, c.m)
          : Buffer.of("a" + x, DType.F32, BufferRole.INPUT, c.batch, c.m, c.k);
      inputs.add(a);
      buffers.add(a);
      long[] bShape = c.transB ? new long[] {c.n, c.k} : new long[] {c.k, c.n};
      Buffer b;
      if (c.constB) {
        b = Buffer.of("b" + x, DType.F32, BufferRole.CONSTANT, bShape);
        float[] v = new float[c.n * c.k];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) r.nextGaussian();
          v[i] = magnitudes ? Math.abs(v[i]) : v[i];
        }
        constants.put(b, Tensor.ofFloats(bShape, v));
      } else {
        b = c.transB ? Buffer.of("b" + x, DType.F32, BufferRole.INPUT, c.batch, c.n, c.k)
            : Buffer.of("b" + x, DType.F32, BufferRole.INPUT, c.batch, c.k, c.n);
        inputs.add(b);
      }
      buffers.add(b);
      Buffer out = Buffer.of("c" + x, DType.F32, BufferRole.OUTPUT, c.batch, c.m, c.n);
      outputs.add(out);
      Var bv = new Var("n" + x);
      Expr aOff = Exprs.mul(bv, Exprs.index((long) c.m * c.k));
      MatrixOperand ma = c.transA ? new MatrixOperand(a, aOff, 1, c.m) : new MatrixOperand(a, aOff, c.k, 1);
      Expr bOff = c.constB ? Exprs.index(0) : Exprs.mul(bv, Exprs.index((long) c.k * c.n));
      MatrixOperand mb = c.transB ? new MatrixOperand(b, bOff, 1, c.k) : new MatrixOperand(b, bOff, c.n, 1);
      MatrixOperand mc = new MatrixOperand(out, Exprs.mul(bv, Exprs.index((long) c.m * c.n)), c.n, 1);
      Local acc = new Local("acc", DType.F32);
      List<Stmt.Addend> addends = new ArrayList<>();
      Expr epi = acc;
      if (!magnitudes) {
        Local x0 = new Local("x0", DType.F32);
        Expr f0 = Exprs.constant(DType.F32, 0);
        switch (c.epilogue) {
          case PLAIN -> { }
          case BIAS_COL, SIGMOID_BIAS -> {
            Buffer bias = Buffer.of("bias" + x, DType.F32, BufferRole.INPUT, c.n);
            addends.add(new Stmt.Addend(x0, new MatrixOperand(bias, Exprs.index(0), 0, 1)));
            epi = Exprs.add(acc, x0);
            if (c.epilogue == Epilogue.SIGMOID_BIAS) {
              Expr one = Exprs.constant(DType.F32, 1);
              epi = Exprs.binary(BinaryOp.DIV, one, Exprs.add(one,
                  Exprs.call(Intrinsic.EXP, Exprs.sub(f0, epi))));
            }
          }
          case BIAS_ROW -> {
            Buffer bias = Buffer.of("bias" + x, DType.F32, BufferRole.INPUT, c.m);
            addends.add(new Stmt.Addend(x0, new MatrixOperand(bias, Exprs.index(0), 1, 0)));
            epi = Exprs.add(acc, x0);
          }
          case RESIDUAL -> {
            Buffer res = Buffer.of("res" + x, DType.F32, BufferRole.INPUT, c.batch, c.m, c.n);
            addends.add(new Stmt.Addend(x0, new MatrixOperand(res, mc.offset(), c.n, 1)));
            epi = Exprs.add(acc, x0);
          }
          case TRANSPOSED_RESIDUAL -> {
            Buffer res = Buffer.of("res" + x, DType.F32, BufferRole.INPUT, c.n, c.m);
            addends.add(new Stmt.Addend(x0, new MatrixOperand(res, Exprs.index(0), 1, c.m)));
            epi = Exprs.add(acc, x0);
          }
          case ALPHA_BETA -> {
            Buffer s = Buffer.of("s" + x, DType.F32, BufferRole.INPUT, 1);
            addends.add(new Stmt.Addend(x0, new MatrixOperand(s, Exprs.index(0), 0, 0)));
            epi = Exprs.add(Exprs.mul(Exprs.constant(DType.F32, 1.5), acc),
                Exprs.mul(Exprs.constant(DType.F32, -0.5), x0));
          }
          case RELU -> epi = Exprs.binary(BinaryOp.MAX, acc, f0);
          case TANH -> epi = Exprs.call(Intrinsic.TANH, acc);
          case ERF_SCALAR -> epi = Exprs.call(Intrinsic.ERF, acc);
        }
        for (Stmt.Addend ad : addends) {
          inputs.add(ad.operand().buffer());
          buffers.add(ad.operand().buffer());
        }
      }
      buffers.add(out);
      Stmt mm = new Stmt.Matmul(ma, mb, mc, c.m, c.n, c.k, acc, ImmutableList.copyOf(addends), epi);
      kernels.add(new Kernel("mm" + x, ImmutableList.copyOf(buffers),
          new Stmt.For(bv, c.batch, LoopKind.SERIAL, mm), "case " + c));
    }
    return new LoopProgram("gemm", ImmutableList.copyOf(inputs), ImmutableList.copyOf(outputs),
        ImmutableMap.copyOf(constants), ImmutableList.of(), ImmutableList.copyOf(kernels));
  }
}
