package dev.kiln.codegen.gemm;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import dev.kiln.ir.loop.Local;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.compiled.RangeTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.lang.model.element.Modifier;

/**
 * Generates the Java code of f32 matrix multiplies with the BLIS/Goto structure, one set of
 * static methods per {@link GemmSpec}, every extent and stride a literal:
 *
 * <pre>
 * for jc in N by nc                       (B block in L3)
 *   for pc in K by kc                     (depth of the panels)
 *     pack B[pc.., jc..] into nr-wide panels      (parallel; skipped for prepacked constants)
 *     parallel over row panels (or column panels when M is small):
 *       for ic in rows by mc              (A block in L2)
 *         pack A[ic.., pc..] into mr-high panels
 *         for each nr-wide B panel        (stays in L1)
 *           for each mr-high A panel: microkernel mr x nr, then the epilogue on the tile
 * </pre>
 *
 * The microkernel keeps {@code mr x nrVectors} {@code FloatVector} accumulators in registers and
 * runs {@code fma}s over the packed panels; it is shared by the GEMMs of the class of the same
 * depth when that is one K block (its trip count a literal, no accumulation into C), and by those
 * of more than one K block (see {@link MicroKey}). Edge tiles run the same microkernel into a scratch tile and copy the
 * valid part. After the last K block the epilogue runs over the tile while it is in L1, as vectors
 * when it has a vector form. M below {@code mr} takes a GEMV-like path: no packing of A, B read in
 * place when its rows are contiguous, a microkernel of M rows with several accumulator sets over
 * K to hide the fma latency.
 *
 * <p>Scratch (packed panels) comes from a pool of arrays in the generated class: taken and given
 * back per call, so concurrent and nested runs never share one and small GEMMs allocate nothing
 * after the first call.
 */
public final class GemmGenerator {
  static final ClassName FV = ClassName.get("jdk.incubator.vector", "FloatVector");
  static final ClassName EXECUTOR = ClassName.get(ParallelExecutor.class);
  static final ClassName RANGE_TASK = ClassName.get(RangeTask.class);
  static final ClassName MATH = ClassName.get(Math.class);
  static final ClassName ATOMIC_INT = ClassName.get(java.util.concurrent.atomic.AtomicInteger.class);
  static final ClassName RANGE_CLAIMS = ClassName.get(dev.kiln.runtime.compiled.RangeClaims.class);
  /** The diagnostic time line ({@code -Dkiln.parallelTrace=true}); its hooks fold away when off. */
  static final ClassName TRACE = ClassName.get(dev.kiln.runtime.compiled.ParallelTrace.class);
  static final String S = "GEMM_SPECIES";
  static final String POOL = "GEMM_SCRATCH";
  /** The index vectors of the transposing A copy ({@link #transposeIndexes}). */
  static final String TRANSPOSE = "GEMM_TRANSPOSE";
  /** Below this many flops a GEMM runs on the calling thread: forking would cost more. */
  static final long PARALLEL_FLOPS = 1L << 22;
  /** Packing (A, and input B) is split over threads from this many elements (256 KiB). */
  static final long PARALLEL_PACK_FLOATS = 1L << 16;
  /**
   * Small M: split over threads from this many elements of B (128 KiB, a few microseconds of
   * work). Low on purpose: whether a split pays is decided at run time by the executor, on the
   * loop's measured nanoseconds (20 µs with parked workers, 6 µs with hot ones), not by flops.
   */
  static final long GEMV_PARALLEL_FLOATS = 1L << 15;
  /**
   * Whether tiles of whole rows pack their own rows of A ({@code -Dkiln.gemm.packPerTile=false}
   * for the A/B against packing A whole first, as before session 7).
   */
  static final boolean PACK_PER_TILE = !"false".equals(System.getProperty("kiln.gemm.packPerTile"));
  /** Tiles per thread the split aims at (measuring: {@code -Dkiln.gemm.tilesPerThread=N}; 0: chosen). */
  static final int TILES_PER_THREAD = Math.max(0, Integer.getInteger("kiln.gemm.tilesPerThread", 0));
  /** A panels packed by transposes in registers ({@link #transposesA}; {@code -Dkiln.gemm.transposeA=false} for the A/B). */
  static final boolean TRANSPOSE_A = !"false".equals(System.getProperty("kiln.gemm.transposeA"));
  /** K blocks evened out ({@link #kc(int)}; {@code -Dkiln.gemm.evenK=false} for the A/B). */
  static final boolean EVEN_K_BLOCKS = !"false".equals(System.getProperty("kiln.gemm.evenK"));
  /** Fewest rows of a tile on several threads (measuring; 0: chosen). */
  static final int MIN_TILE_ROWS = Integer.getInteger("kiln.gemm.minTileRows", 0);
  /** A read in place: auto, true (whenever its columns are unit stride), false (measuring). */
  static final String DIRECT_A = System.getProperty("kiln.gemm.directA", "auto");
  /**
   * Rows up to which A is read in place whatever B's width (measuring; 0: the default, 8 row
   * panels). 128 was tried in session 10: the synthetic 128 x 256 x 1024 ran 12 % faster on one
   * thread, the transformer layer 5 % slower, so the default stayed.
   */
  static final int DIRECT_A_ROWS = Integer.getInteger("kiln.gemm.directARows", 0);

  /**
   * The generator's switches that change the emitted source without showing in the loop IR, for
   * the kernel cache key.
   */
  public static String cacheKeyPart() {
    return "packPerTile=" + PACK_PER_TILE + ",tilesPerThread=" + TILES_PER_THREAD + ",minTileRows=" + MIN_TILE_ROWS
        + ",directA=" + DIRECT_A + ",directARows=" + DIRECT_A_ROWS + ",evenK=" + EVEN_K_BLOCKS + ",transposeA=" + TRANSPOSE_A;
  }

  private final GemmParams p;
  private final NameAllocator methodNames;
  private final List<MethodSpec> methods = new ArrayList<>();
  /** Names of the microkernels generated so far. */
  private final Map<MicroKey, String> micros = new java.util.HashMap<>();
  /** Whether the shared methods (scratch pool, panel copies) were generated. */
  private boolean shared;
  private String packPanelA;
  private String packPanelB;
  private String take;
  private String give;

  /** @param methodNames the generated class's method names (the generator adds its own) */
  public GemmGenerator(GemmParams params, NameAllocator methodNames) {
    this.p = params;
    this.methodNames = methodNames;
  }

  /** Whether the generator can take {@code spec} (else the emitter writes plain loops). */
  public boolean supports(GemmSpec spec) {
    return p.enabled() && spec.m() > 0 && spec.n() > 0 && spec.k() > 0;
  }

  /** Methods generated so far. */
  public List<MethodSpec> methods() {
    return methods;
  }

  /** The class fields the methods use; empty when no GEMM was generated. */
  public List<FieldSpec> fields() {
    if (!shared) {
      return List.of();
    }
    List<FieldSpec> fields = new ArrayList<>(List.of(dev.kiln.codegen.emit.SpeciesField.of(S, p.lanes()),
        dev.kiln.codegen.emit.ScratchPoolCode.field(POOL)));
    if (transposesA()) {
      CodeBlock.Builder init = CodeBlock.builder().add("{");
      float[] t = transposeIndexes();
      for (int i = 0; i < t.length; i++) {
        init.add(i == 0 ? "$Lf" : ", $Lf", (int) t[i]);
      }
      fields.add(FieldSpec.builder(float[].class, TRANSPOSE, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .initializer(init.add("}").build()).build());
    }
    return fields;
  }

  /**
   * Generates the methods of one GEMM and returns the name of its entry point, called as
   * {@code name(a, aBase, b, bBase, c, cBase, [addend, addendBase]..., executor)}.
   */
  public String generate(GemmSpec spec, EpilogueCode epilogue) {
    if (!shared) {
      sharedMethods();
    }
    if (spec.plainEpilogue()) {
      // Matmuls of one shape share their methods (Winograd's a^2 products per chunk): less code
      // to compile, and each method reaches the JIT's thresholds sooner.
      return plainEntries.computeIfAbsent(spec.withoutAccumulator(), s -> path(spec, null));
    }
    return path(spec, epilogueMethod(spec, epilogue));
  }

  private String path(GemmSpec spec, String epi) {
    if (spec.m() < p.mr()) {
      return !spec.packedB() && spec.bColStride() == 1 ? streamPath(spec, epi) : smallPath(spec, epi);
    }
    return blockedPath(spec, epi);
  }

  /** Entry points of the plain-epilogue GEMMs generated so far, by their spec without the accumulator's name. */
  private final java.util.Map<GemmSpec, String> plainEntries = new java.util.HashMap<>();

  // ---- shared: the scratch pool and the microkernel ----

  private void sharedMethods() {
    take = methodNames.newName("gemmTake");
    give = methodNames.newName("gemmGive");
    methods.add(dev.kiln.codegen.emit.ScratchPoolCode.take(take, POOL));
    methods.add(dev.kiln.codegen.emit.ScratchPoolCode.give(give, POOL));
    shared = true;
    packPanelA = methodNames.newName("gemmPackPanelA");
    packPanelB = methodNames.newName("gemmPackPanelB");
    methods.add(packPanelAMethod(packPanelA));
    methods.add(packPanelBMethod(packPanelB));
  }

  /*
   * Why the copies of whole panels are shared methods (as the microkernel is), not loops inside
   * each GEMM's packing method: a GEMM's own methods run a few times per model run (once per K
   * block), so HotSpot compiles them with C2 only after hundreds of runs (600 calls at least) and
   * runs them as C1 code until then, where the Vector API is not intrinsified (FloatVector.ldOp,
   * its Java fallback, was a fifth of the samples of a ResNet-18 after 1000 runs). A panel copy
   * shared by every GEMM of the class runs thousands of times per model run and reaches C2 in the
   * first few runs.
   */

  /** One full mr-high panel of A of depth kc, rows {@code s + r * lda}, contiguous along K. */
  private MethodSpec packPanelAMethod(String name) {
    int mr = p.mr();
    CodeBlock.Builder b = CodeBlock.builder();
    String from = "0";
    if (transposesA()) {
      transposeA(b);
      from = "p0";
    }
    b.beginControlFlow("for (int r = 0; r < $L; r++)", mr);
    b.addStatement("final int sr = s + r * lda");
    b.beginControlFlow("for (int p = $L; p < kc; p++)", from);
    b.addStatement("ap[d + p * $L + r] = a[sr + p]", mr);
    b.endControlFlow();
    b.endControlFlow();
    return MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("A full $L-row panel of A (unit stride along K) into packed order.\n", mr)
        .addParameter(float[].class, "a").addParameter(int.class, "s").addParameter(int.class, "lda")
        .addParameter(float[].class, "ap").addParameter(int.class, "d").addParameter(int.class, "kc")
        .addCode(b.build()).build();
  }

  /**
   * Whether full A panels are packed by transposing 8 x 16 blocks in registers
   * ({@link #transposeA}): 8-row panels of 16-lane vectors (AVX-512's default), unless
   * {@code -Dkiln.gemm.transposeA=false} (A/B). Other shapes copy one element at a time.
   */
  boolean transposesA() {
    return TRANSPOSE_A && p.mr() == 8 && p.lanes() == 16;
  }

  /**
   * The transposing copy of an 8-row panel, 16 columns at a time: the 8 row vectors are
   * interleaved in three rounds of two-vector permutes (elements, then pairs, then quads), which
   * leaves column p and p + 1 of all 8 rows in each of the 8 result vectors, i.e. the packed order
   * {@code ap[d + p * 8 + r]}; the last {@code kc % 16} columns (from {@code p0}) are copied one
   * at a time after it. Why: the element-by-element copy (C2 does not vectorize its stride-8
   * stores) was 0.44 ns per element, 4 % of a 1024³ GEMM on one thread; this one 0.12.
   */
  private void transposeA(CodeBlock.Builder b) {
    for (int x = 0; x < 6; x++) {
      b.addStatement("final $T x$L = $T.fromArray($L, $L, $L)", FV, x, FV, S, TRANSPOSE, x * 16);
    }
    b.addStatement("int p0 = 0");
    b.beginControlFlow("for (; p0 + 16 <= kc; p0 += 16)");
    for (int r = 0; r < 8; r++) {
      b.addStatement("final $T r$L = $T.fromArray($L, a, s + $L * lda + p0)", FV, r, FV, S, r);
    }
    // Round 1: rows (0, 1), (2, 3), ... element by element: e<2j> = rows 2j, 2j+1 at columns 0..7,
    // e<2j+1> at columns 8..15.
    for (int j = 0; j < 4; j++) {
      b.addStatement("final $T e$L = x0.selectFrom(r$L, r$L)", FV, 2 * j, 2 * j, 2 * j + 1);
      b.addStatement("final $T e$L = x1.selectFrom(r$L, r$L)", FV, 2 * j + 1, 2 * j, 2 * j + 1);
    }
    // Round 2: pairs of e: rows 0..3 (and 4..7), four columns each.
    int[][] pairs = {{0, 2}, {1, 3}, {4, 6}, {5, 7}};
    for (int j = 0; j < 4; j++) {
      b.addStatement("final $T q$L = x2.selectFrom(e$L, e$L)", FV, 2 * j, pairs[j][0], pairs[j][1]);
      b.addStatement("final $T q$L = x3.selectFrom(e$L, e$L)", FV, 2 * j + 1, pairs[j][0], pairs[j][1]);
    }
    // Round 3: quads: rows 0..7, two columns each, stored in column order.
    int[][] quads = {{0, 4}, {1, 5}, {2, 6}, {3, 7}};
    b.addStatement("final int o = d + p0 * 8");
    for (int j = 0; j < 4; j++) {
      b.addStatement("x4.selectFrom(q$L, q$L).intoArray(ap, o + $L)", quads[j][0], quads[j][1], 32 * j);
      b.addStatement("x5.selectFrom(q$L, q$L).intoArray(ap, o + $L)", quads[j][0], quads[j][1], 32 * j + 16);
    }
    b.endControlFlow();
  }

  /**
   * The index vectors of {@link #transposeA}'s rounds, as {@code selectFrom} takes them (lane i
   * of the result is lane {@code index[i]} of the two sources' 32 lanes): per round w = 1, 2, 4
   * the low and high halves of the interleave of groups of w lanes.
   */
  static float[] transposeIndexes() {
    return dev.kiln.runtime.compiled.Transposes.interleaveIndexes(16, 3);
  }

  /** One full nr-wide panel of B of depth kc, rows {@code s + p * ldb}, contiguous along N. */
  private MethodSpec packPanelBMethod(String name) {
    int nr = p.nr();
    CodeBlock.Builder b = CodeBlock.builder();
    b.beginControlFlow("for (int p = 0; p < kc; p++)");
    b.addStatement("final int sp = s + p * ldb");
    for (int v = 0; v < p.nrVectors(); v++) {
      b.addStatement("$T.fromArray($L, b, sp + $L).intoArray(bp, d + p * $L + $L)", FV, S, v * p.lanes(),
          nr, v * p.lanes());
    }
    b.endControlFlow();
    return MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("A full $L-column panel of B (unit stride along N) into packed order.\n", nr)
        .addParameter(float[].class, "b").addParameter(int.class, "s").addParameter(int.class, "ldb")
        .addParameter(float[].class, "bp").addParameter(int.class, "d").addParameter(int.class, "kc")
        .addCode(b.build()).build();
  }

  /**
   * Which microkernel a GEMM calls: A packed or read in place ({@code direct}, with the stride
   * {@code lda} of A's rows, else 0), and its depth when the GEMM's K is one K block
   * ({@code depth = K <= kc}), else 0 (any depth up to kc, passed).
   *
   * <p>Why not one microkernel for the whole class (as before): C2 compiles it on the profile of
   * whichever GEMMs ran first (their trip counts, the accumulate branch never taken), and the next
   * GEMM of another shape deoptimised it (an uncommon trap, recompiled up to three times per
   * process); which code a process ended up with was one suspect of the transformer's bimodal time
   * between processes. A fixed-depth variant has its trip count as a literal and no accumulation
   * branch (a single K block never accumulates into C), so nothing in its profile differs between
   * the GEMMs that share it.
   */
  record MicroKey(boolean direct, int depth, int lda) {}

  /**
   * The microkernel for a GEMM of depth {@code k}: A read in place ({@code direct}) with rows
   * {@code lda} apart, or packed ({@code lda} then unused).
   *
   * <p>Why the row stride is a literal of the in-place kernel (one kernel per stride): with it a
   * parameter, C2 kept the 8 row offsets {@code r * lda} in registers and computed each row's
   * address with an {@code lea} every step, which with the B index and the loop bound left no
   * register free: the B base was reloaded from the stack and one index spilled to an xmm
   * register, about 42 instructions per step for 16 fmas (64 x 784 x 512's kernel, disassembled
   * with hsdis). With literal offsets each broadcast folds its row into the address's
   * displacement, as the packed kernel's rows do (about 30 instructions per step).
   */
  /**
   * The depth of the K blocks of a GEMM of depth {@code k}: all of k up to the params' deepK
   * ({@link GemmParams#of}: one block, C stored once); else the machine's kc when it divides k;
   * else k in one block fewer when that makes them at most an eighth deeper, else in equal
   * blocks (multiples of 8 either way). Why: a last block of a few steps loads and stores every
   * C tile for little work and runs the epilogue pass after it; 784 in blocks of 256 left one
   * of 16 (MLP 784-512: 256 + 256 + 256 + 16), now 264 + 264 + 256. A B micro-panel an eighth
   * deeper than kc still fits L1 (kc fills about two thirds of it).
   */
  int kc(int k) {
    int kc = p.kc();
    if (k > kc && k <= p.deepK()) {
      return k;
    }
    if (!EVEN_K_BLOCKS || k % kc == 0 || k < kc) {
      return kc;
    }
    int blocks = (k + kc - 1) / kc;
    int fewer = roundUp((k + blocks - 2) / (blocks - 1), 8);
    if (fewer <= kc + kc / 8) {
      return fewer;
    }
    return roundUp((k + blocks - 1) / blocks, 8);
  }

  /**
   * Rows of packed A per tile on one thread for depth {@code k}: the machine's mc for its kc;
   * for a deeper K block ({@link #kc(int)}), so that the mc x kc block of A still fills about
   * half of L2.
   */
  int mc(int k) {
    int kc = Math.min(kc(k), k);
    if (kc <= p.kc()) {
      return p.mc();
    }
    int mc = (int) Math.max(p.mr(), Math.min(p.mc(), p.l2() / 2 / (4L * kc)));
    return mc - mc % p.mr();
  }

  private String micro(int k, boolean direct, long lda) {
    MicroKey key = new MicroKey(direct, k <= kc(k) ? k : 0, direct ? Math.toIntExact(lda) : 0);
    return micros.computeIfAbsent(key, x -> {
      String name = methodNames.newName(x.direct() ? "gemmMicroDirect" : "gemmMicro");
      methods.add(microkernel(name, x.direct(), x.depth(), x.lda()));
      return name;
    });
  }

  /**
   * {@code c[ci + r * ldc + j] (+)= sum over p < kc of ap[ai + p * mr + r] * bp[bi + p * nr + j]}
   * for the whole {@code mr x nr} tile, accumulators in registers. With {@code depth > 0} the
   * depth is that literal ({@code kc} is then always equal to it) and C is never accumulated into
   * ({@code accumulate} is always false). With A read in place ({@code direct}), row r of the
   * block is {@code ap[ai + p + r * lda]}, {@code lda} a literal.
   */
  private MethodSpec microkernel(String name, boolean direct, int depth, int lda) {
    int mr = p.mr();
    int nv = p.nrVectors();
    int lanes = p.lanes();
    CodeBlock.Builder b = CodeBlock.builder();
    for (int r = 0; r < mr; r++) {
      for (int v = 0; v < nv; v++) {
        b.addStatement("$T c$L_$L = $T.zero($L)", FV, r, v, FV, S);
      }
    }
    String bound = depth > 0 ? Integer.toString(depth) : "kc";
    b.addStatement("int p = 0");
    if (p.unroll() > 1) {
      b.beginControlFlow("for (; p + $L <= $L; p += $L)", p.unroll(), bound, p.unroll());
      for (int u = 0; u < p.unroll(); u++) {
        microStep(b, mr, nv, lanes, u, direct, lda);
      }
      b.endControlFlow();
    }
    b.beginControlFlow("for (; p < $L; p++)", bound);
    microStep(b, mr, nv, lanes, 0, direct, lda);
    b.endControlFlow();
    if (depth == 0) {
      b.beginControlFlow("if (accumulate)");
      for (int r = 0; r < mr; r++) {
        for (int v = 0; v < nv; v++) {
          b.addStatement("c$L_$L = c$L_$L.add($T.fromArray($L, c, ci + $L * ldc + $L))", r, v, r, v, FV, S,
              r, v * lanes);
        }
      }
      b.endControlFlow();
    }
    for (int r = 0; r < mr; r++) {
      for (int v = 0; v < nv; v++) {
        b.addStatement("c$L_$L.intoArray(c, ci + $L * ldc + $L)", r, v, r, v * lanes);
      }
    }
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC);
    String over = depth > 0 ? "depth " + depth + " (kc), never accumulated into C" : "depth kc";
    if (direct) {
      m.addJavadoc("The $L x $L register block over $L, A read in place (rows $L apart).\n", mr, p.nr(), over, lda)
          .addParameter(float[].class, "ap").addParameter(int.class, "ai");
    } else {
      m.addJavadoc("The $L x $L register block over packed panels, $L.\n", mr, p.nr(), over)
          .addParameter(float[].class, "ap").addParameter(int.class, "ai");
    }
    return m
        .addParameter(float[].class, "bp").addParameter(int.class, "bi")
        .addParameter(int.class, "kc")
        .addParameter(float[].class, "c").addParameter(int.class, "ci").addParameter(int.class, "ldc")
        .addParameter(boolean.class, "accumulate")
        .addCode(b.build())
        .build();
  }

  /*
   * Every index is affine in the loop variable p (not a pointer bumped each step), so that C2's
   * range-check elimination proves the whole loop's loads in bounds once, before the loop.
   */
  private void microStep(CodeBlock.Builder b, int mr, int nv, int lanes, int u, boolean direct, int lda) {
    b.beginControlFlow("");
    b.addStatement("final int pb = bi + (p + $L) * $L", u, p.nr());
    b.addStatement("final int pa = ai + (p + $L)$L", u, direct ? "" : " * " + mr);
    for (int v = 0; v < nv; v++) {
      b.addStatement("$T b$L = $T.fromArray($L, bp, pb + $L)", FV, v, FV, S, v * lanes);
    }
    for (int r = 0; r < mr; r++) {
      if (direct) {
        // A row of A exists in the array, so its offset fits an int.
        b.addStatement("$T a$L = $T.broadcast($L, ap[pa + $L])", FV, r, FV, S, Math.multiplyExact(r, lda));
      } else {
        b.addStatement("$T a$L = $T.broadcast($L, ap[pa + $L])", FV, r, FV, S, r);
      }
      for (int v = 0; v < nv; v++) {
        b.addStatement("c$L_$L = a$L.fma(b$L, c$L_$L)", r, v, r, v, r, v);
      }
    }
    b.endControlFlow();
  }

  // ---- the epilogue over one tile ----

  private String epilogueMethod(GemmSpec spec, EpilogueCode code) {
    String name = methodNames.newName("gemmEpilogue");
    Map<Local, String> names = new LinkedHashMap<>();
    names.put(spec.acc(), "eAcc");
    boolean vectorAddends = true;
    for (int x = 0; x < spec.addends().size(); x++) {
      GemmSpec.Addend a = spec.addends().get(x);
      names.put(a.local(), "eX" + x);
      vectorAddends &= a.colStride() == 0 || a.colStride() == 1;
    }
    Optional<CodeBlock> vector = vectorAddends ? code.vector(names, S) : Optional.empty();
    CodeBlock scalar = code.scalar(names);
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("The epilogue on the tile of rows x cols at c[ci], element (row0, col0) of C.\n")
        .addParameter(float[].class, "c").addParameter(int.class, "ci")
        .addParameter(int.class, "rows").addParameter(int.class, "cols")
        .addParameter(int.class, "row0").addParameter(int.class, "col0");
    addendParameters(m, spec);
    CodeBlock.Builder b = CodeBlock.builder();
    b.beginControlFlow("for (int r = 0; r < rows; r++)");
    b.addStatement("final int e = ci + r * $L", spec.cRowStride());
    for (int x = 0; x < spec.addends().size(); x++) {
      GemmSpec.Addend a = spec.addends().get(x);
      b.addStatement("final int xr$L = xo$L + (row0 + r) * $L + col0 * $L", x, x, a.rowStride(), a.colStride());
    }
    b.addStatement("int j = 0");
    if (vector.isPresent()) {
      b.beginControlFlow("for (; j + $L <= cols; j += $L)", p.lanes(), p.lanes());
      b.addStatement("final $T eAcc = $T.fromArray($L, c, e + j)", FV, FV, S);
      for (int x = 0; x < spec.addends().size(); x++) {
        if (spec.addends().get(x).colStride() == 1) {
          b.addStatement("final $T eX$L = $T.fromArray($L, x$L, xr$L + j)", FV, x, FV, S, x, x);
        } else {
          b.addStatement("final $T eX$L = $T.broadcast($L, x$L[xr$L])", FV, x, FV, S, x, x);
        }
      }
      b.addStatement("$L.intoArray(c, e + j)", vector.get());
      b.endControlFlow();
    }
    b.beginControlFlow("for (; j < cols; j++)");
    b.addStatement("final float eAcc = c[e + j]");
    for (int x = 0; x < spec.addends().size(); x++) {
      b.addStatement("final float eX$L = x$L[xr$L + j * $L]", x, x, x, spec.addends().get(x).colStride());
    }
    b.addStatement("c[e + j] = $L", scalar);
    b.endControlFlow();
    b.endControlFlow();
    methods.add(m.addCode(b.build()).build());
    return name;
  }

  private static void addendParameters(MethodSpec.Builder m, GemmSpec spec) {
    for (int x = 0; x < spec.addends().size(); x++) {
      m.addParameter(float[].class, "x" + x).addParameter(int.class, "xo" + x);
    }
  }

  private static String addendArguments(GemmSpec spec) {
    StringBuilder s = new StringBuilder();
    for (int x = 0; x < spec.addends().size(); x++) {
      s.append(", x").append(x).append(", xo").append(x);
    }
    return s.toString();
  }

  private static boolean parallel(GemmSpec spec) {
    return 2L * spec.m() * spec.n() * spec.k() >= PARALLEL_FLOPS;
  }

  /**
   * Small M (GEMV): memory-bound, so offered to the executor for a split from a small B on, even
   * below {@link #PARALLEL_FLOPS}: each core then streams its share of the columns (and keeps
   * its share of constant weights in its own L2 from one run to the next when they fit).
   */
  private static boolean parallelSmall(GemmSpec spec) {
    return parallel(spec) || (long) spec.n() * spec.k() >= GEMV_PARALLEL_FLOATS;
  }

  // ---- M >= mr: the blocked path ----

  /*
   * Why A is packed whole before any product, and the products are tiles taken from a shared
   * counter: the earlier form forked twice per K block (pack B, then the rows), each fork split
   * in exactly one chunk per thread, so a worker woken late or descheduled on a busy machine made
   * the whole GEMM wait (1024^3 on 2 threads varied from 247 to 317 GFLOP/s between processes).
   * Now a GEMM with constant B forks twice in all (pack A, then the tiles), and a thread that
   * arrives late simply takes fewer tiles.
   */

  private String blockedPath(GemmSpec spec, String epi) {
    int mr = p.mr();
    int nr = p.nr();
    int m = spec.m();
    int n = spec.n();
    int k = spec.k();
    int mPad = roundUp(m, mr);
    int rowPanels = mPad / mr;
    // Input B is packed a block of columns at a time, the whole depth: as many floats as kc x nc.
    int ncBlock = spec.packedB() ? roundUp(n, nr)
        : Math.min(roundUp(n, nr), Math.max(nr, (int) Math.min(1 << 24, (long) p.nc() * p.kc() / k) / nr * nr));
    long panelStride = (long) k * nr;
    // Row block of a tile on one thread: packed A of mc x kc stays in L2 while the B panels pass.
    int rowBlock1 = Math.min(mc(k), mPad);
    boolean claimTiles = m <= CLAIMED_TILE_ROWS;
    boolean edges = m % mr != 0 || n % nr != 0;
    // With B this narrow (4 panels at most), packing A costs a large share of the product (about
    // 0.6 cycles per element against N / 16 cycles of fmas; 128 x 32 x 1024 ran at 100 GFLOP/s
    // packed, 210 read in place): A is read in place (unit stride along K), all but a last
    // partial row panel, which is still packed. Wider B reuses each packed panel enough.
    boolean directA = spec.aColStride() == 1 && switch (DIRECT_A) {
      case "true" -> true;
      case "false" -> false;
      default -> n <= 4 * nr || smallDirectA(spec);
    };
    int aFirst = directA ? m / mr : 0;
    int aRows = (rowPanels - aFirst) * mr;
    // Few rows (claimed tiles), packed A and B of 5 to 8 panels: on several threads, tiles of
    // whole rows, at least 4 row panels high, 2 per thread, so that each tile packs its own rows
    // of A (perTileA below) and the GEMM forks once. Split by columns as wider B is, A was packed
    // whole first, a parallel loop of its own (45 to 65 µs of a 0.3 ms 128 x 1024 x 256 on 2
    // threads, docs/performance.md, session 10); with whole rows each thread reads all of B
    // instead of half, which at 8 panels or fewer costs less. kiln bench p10, 2 threads, two
    // processes each: 128 x 1024 x 256 0.280 / 0.274 ms against 0.323 / 0.314, 128 x 256 x 256
    // 0.070 / 0.078 against 0.107 / 0.091; at 24 and 32 panels (128 x 256 x 768 and x 1024) the
    // same or slower, and at 96 (128 x 768 x 3072) 1.3 to 2x slower.
    boolean rowTiles = claimTiles && !directA && n > 4 * nr && n <= 8 * nr;
    int minRows = Math.min(rowBlock1, MIN_TILE_ROWS > 0 ? roundUp(MIN_TILE_ROWS, mr) : (rowTiles ? 4 : 8) * mr);
    int tilesPerThread = TILES_PER_THREAD > 0 ? TILES_PER_THREAD : rowTiles ? 2 : 4;
    String pack = packMethod(spec, aFirst, aRows);
    String tile = tileMethod(spec, epi, aFirst, aRows, directA, false);
    String items = itemsMethod(spec, tile, edges, 0);
    String claimed = claimTiles ? claimedItemsMethod(spec, tile, edges) : null;
    // A packed per tile (below): when the tiles are whole rows of C (colBlocks == 1, decided at
    // run time) and B is one column block, so that each row block of A is packed exactly once.
    boolean perTileA = PACK_PER_TILE && !directA && (spec.packedB() || ncBlock >= n);
    int tileAFloats = Math.min(kc(k), k) * rowBlock1;
    String itemsPerTile = perTileA
        ? itemsMethod(spec, tileMethod(spec, epi, aFirst, aRows, directA, true), edges, tileAFloats) : null;
    String entry = methodNames.newName("gemm");
    String xs = addendArguments(spec);

    MethodSpec.Builder em = entryMethod(entry, spec);
    CodeBlock.Builder d = CodeBlock.builder();
    d.addStatement("final int t = $L", parallel(spec) ? "par.threads()" : "1");
    d.addStatement("float[] ap = null");
    d.addStatement("final float[] bp = $L", spec.packedB() ? "b" : take + "(" + (long) k * ncBlock + ")");
    d.beginControlFlow("for (int jc = 0; jc < $L; jc += $L)", n, ncBlock);
    d.addStatement("final int jc0 = jc");
    d.addStatement("final int nc = $T.min($L, $L - jc)", MATH, ncBlock, n);
    d.addStatement("final int np = (nc + $L) / $L", nr - 1, nr);
    // The tiles: on one thread, rows by mc and every column; on t threads at least 4t tiles
    // (rows first, down to 8 row panels, then columns, down to 2 column panels). Narrow columns
    // cost no extra traffic when a row block is all of M (MLP batch 64: B is read once either
    // way, packed A comes from L2 per panel as before), and 8 tiles of 64 x 64 instead of 4 of
    // 64 x 128 let a worker that wakes late still take half of what is left.
    d.addStatement("int rb = $L", rowBlock1);
    d.addStatement("int cb = np");
    d.beginControlFlow("if (t > 1)");
    if (TILES_PER_THREAD == 0 && m >= 2 * rowBlock1) {
      // Rows enough for a tile of mc rows (packed A's L2 block) per thread: tiles of mc rows.
      // Every tile streams all of B from L3, and on 2 threads four tiles per thread of a
      // quarter of the rows each ran 10-15 % slower per thread than one of mc rows (1024³:
      // 7.6-7.9 ms against 6.7-7.4, GemmPlacement trace and kiln bench medians, alternating
      // processes), though on one thread tiles of 128 rows cost nothing (11.7 ms against 11.4-11.9).
      d.addStatement("final int want = $L >= $L * t ? t : $L * t", m, rowBlock1, tilesPerThread);
    } else {
      d.addStatement("final int want = $L * t", tilesPerThread);
    }
    d.addStatement("rb = $T.min($L, $T.max($L, (($L + want - 1) / want + $L) / $L * $L))", MATH, rowBlock1, MATH,
        minRows, m, mr - 1, mr, mr);
    d.addStatement("final int rowBlocks = ($L + rb - 1) / rb", m);
    d.beginControlFlow("if (rowBlocks < want)");
    d.addStatement("final int colBlocks = $T.min((want + rowBlocks - 1) / rowBlocks, $T.max(1, np / 2))", MATH,
        MATH);
    d.addStatement("cb = (np + colBlocks - 1) / colBlocks");
    d.endControlFlow();
    d.endControlFlow();
    d.addStatement("final int colBlocks = (np + cb - 1) / cb");
    d.addStatement("final int count = ($L + rb - 1) / rb * colBlocks", m);
    d.addStatement("final boolean perTile = $L", perTileA ? "colBlocks == 1" : "false");
    d.beginControlFlow("if (!perTile && ap == null)");
    d.addStatement("ap = $L($L)", take, Math.max(1, (long) aRows * k));
    d.endControlFlow();
    d.addStatement("final float[] apj = ap");
    // A's panels with the first column block (unless packed per tile), B's of every block
    // (unless B is prepacked).
    d.addStatement("final int aPanels = jc == 0 && !perTile ? $L : 0", rowPanels - aFirst);
    d.addStatement("final int packs = aPanels + $L", spec.packedB() ? "0" : "np");
    // Packing a few thousand panels' elements takes less than waking a worker: on this thread.
    d.addStatement("final long packFloats = (long) packs * $L", (long) k * Math.max(mr, spec.packedB() ? mr : nr));
    d.beginControlFlow("if (t > 1 && packs > 1 && packFloats >= $L)", PARALLEL_PACK_FLOATS);
    d.addStatement("par.forRange(packs, ($T) (lo, hi) -> $L(a, ao, b, bo, apj, bp, jc0, nc, aPanels, lo, hi))",
        RANGE_TASK, pack);
    d.nextControlFlow("else if (packs > 0)");
    d.addStatement("$L(a, ao, b, bo, apj, bp, jc0, nc, aPanels, 0, packs)", pack);
    d.endControlFlow();
    d.addStatement("final int bbase = $L", spec.packedB() ? "bo + jc / " + nr + " * " + panelStride : "0");
    String args = "a, ao, apj, bp, bbase, c, co" + xs + ", jc0, nc, np, rb0, cb0, colBlocks, count";
    d.addStatement("final int rb0 = rb");
    d.addStatement("final int cb0 = cb");
    if (perTileA) {
      d.beginControlFlow("if (perTile)");
      tiles(d, itemsPerTile, null, args);
      d.nextControlFlow("else");
      tiles(d, items, claimed, args);
      d.endControlFlow();
    } else {
      tiles(d, items, claimed, args);
    }
    d.endControlFlow();
    d.beginControlFlow("if (ap != null)");
    d.addStatement("$L(ap)", give);
    d.endControlFlow();
    if (!spec.packedB()) {
      d.addStatement("$L(bp)", give);
    }
    methods.add(em.addCode(d.build()).build());
    return entry;
  }

  /**
   * The tiles of one column block: claimed by region ({@code claimed}, few rows), shared by the
   * threads through a counter, or in order on this one.
   */
  private static void tiles(CodeBlock.Builder d, String items, String claimed, String args) {
    d.beginControlFlow("if (t > 1 && count > 1)");
    if (claimed != null) {
      d.addStatement("final $T claims = new $T(count, t, 1)", RANGE_CLAIMS, RANGE_CLAIMS);
      d.addStatement("par.forRange(t, ($T) (lo, hi) -> $L($L, claims, lo, hi))", RANGE_TASK, claimed, args);
    } else {
      d.addStatement("final $T next = new $T()", ATOMIC_INT, ATOMIC_INT);
      d.addStatement("par.forRange(t, ($T) (lo, hi) -> $L($L, next))", RANGE_TASK, items, args);
    }
    d.nextControlFlow("else");
    d.addStatement("$L($L, null)", items, args);
    d.endControlFlow();
  }

  /**
   * A method over the tiles of one column block: the operands, packed A and B, C, the addends,
   * the block ({@code jc}, {@code nc}, {@code np}) and its tiling ({@code rb x cb}, {@code count}
   * tiles); the caller adds how the tiles are shared.
   */
  private MethodSpec.Builder tilesMethod(String name, GemmSpec spec) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "ap").addParameter(float[].class, "bp").addParameter(int.class, "bbase")
        .addParameter(float[].class, "c").addParameter(int.class, "co");
    addendParameters(m, spec);
    return m.addParameter(int.class, "jc").addParameter(int.class, "nc").addParameter(int.class, "np")
        .addParameter(int.class, "rb").addParameter(int.class, "cb").addParameter(int.class, "colBlocks")
        .addParameter(int.class, "count");
  }

  /**
   * Tiles {@code [0, count)} of one column block, in order, or those not yet taken from
   * {@code next} when it is shared by several threads.
   */
  private String itemsMethod(GemmSpec spec, String tile, boolean edges, int tileAFloats) {
    String name = methodNames.newName("gemmTiles");
    MethodSpec.Builder m = tilesMethod(name, spec).addParameter(ATOMIC_INT, "next");
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("final float[] tile = $L", edges ? take + "(" + p.mr() * p.nr() + ")" : "null");
    if (tileAFloats > 0) {
      // A packed per tile: this thread's own block of packed A, a K block of a tile's rows.
      b.addStatement("final float[] at = $L($L)", take, tileAFloats);
    }
    b.beginControlFlow("for (int w = next == null ? 0 : next.getAndIncrement(); w < count; "
        + "w = next == null ? w + 1 : next.getAndIncrement())");
    b.addStatement("final int i0 = w / colBlocks * rb");
    b.addStatement("final int q0 = w % colBlocks * cb");
    b.addStatement("final long tw = $T.ON ? $T.nanoTime() : 0L", TRACE, System.class);
    b.addStatement("final long tc = $T.ON ? $T.cpu() : 0L", TRACE, TRACE);
    b.addStatement("$L(a, ao, $L, bp, bbase, c, co$L, jc, nc, i0, $T.min($L, i0 + rb), q0, $T.min(np, q0 + cb), tile)",
        tile, tileAFloats > 0 ? "at" : "ap", addendArguments(spec), MATH, spec.m(), MATH);
    b.beginControlFlow("if ($T.ON)", TRACE);
    b.addStatement("$T.tile(i0, q0, tw, tc)", TRACE);
    b.endControlFlow();
    b.endControlFlow();
    if (edges) {
      b.addStatement("$L(tile)", give);
    }
    if (tileAFloats > 0) {
      b.addStatement("$L(at)", give);
    }
    methods.add(m.addCode(b.build()).build());
    return name;
  }

  /*
   * Why GEMMs of few rows (M <= 128: MLP batch 64, the transformer's projections of 128 tokens)
   * claim their tiles by region, columns first, rather than from one shared counter: their tiles
   * are one or two row blocks by 4 to 8 column blocks, so with a shared counter which thread
   * computes which columns changes from one run to the next, and each core reads B (constant
   * weights, 1.6 MB for 784 x 512) from wherever the last run left it. With one region of
   * columns per thread a core reads the same half of B every run (0.8 MB, or 0.5 MB for
   * 512 x 512, within its 1 MB L2), and a late worker still costs only what it has not done:
   * the caller, done with its own region, claims the rest of the worker's.
   */

  /** Rows up to which the tiles of a split GEMM are claimed by region ({@link #claimedItemsMethod}). */
  static final int CLAIMED_TILE_ROWS = 128;

  /**
   * Why A is read in place for M <= 64 (one row block of the split): packing it was a serial
   * step before the tiles (below {@link #PARALLEL_PACK_FLOATS} for 64 x 784), so a worker had to
   * wait for it, and then read packed A from the caller's core; in place, each core reads A from
   * memory or the shared L3 itself. On one thread it is as fast as packed (64 x 784 x 512, thread
   * CPU time: 0.278 ms both). Not when A's rows are a multiple of 4 KiB apart: the microkernel's
   * 8 rows would then fall in one L1 set.
   */
  private boolean smallDirectA(GemmSpec spec) {
    return spec.m() <= (DIRECT_A_ROWS > 0 ? DIRECT_A_ROWS : 8 * p.mr()) && spec.n() <= 4096
        && spec.aRowStride() % 1024 != 0;
  }

  /**
   * The tiles of one column block claimed from {@code claims} for the threads {@code [lo, hi)}
   * (their home regions), numbered columns first ({@code w / rowBlocks} the column block), so
   * that a thread's region is a range of columns.
   */
  private String claimedItemsMethod(GemmSpec spec, String tile, boolean edges) {
    String name = methodNames.newName("gemmTilesClaimed");
    MethodSpec.Builder m = tilesMethod(name, spec).addParameter(RANGE_CLAIMS, "claims")
        .addParameter(int.class, "lo").addParameter(int.class, "hi");
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("final int rowBlocks = count / colBlocks");
    b.addStatement("final float[] tile = $L", edges ? take + "(" + p.mr() * p.nr() + ")" : "null");
    b.beginControlFlow("for (int h = lo; h < hi; h++)");
    b.beginControlFlow("for (long g; (g = claims.claim(h)) >= 0; )");
    b.beginControlFlow("for (int w = (int) (g >>> 32); w < (int) g; w++)");
    b.addStatement("final int i0 = w % rowBlocks * rb");
    b.addStatement("final int q0 = w / rowBlocks * cb");
    b.addStatement("$L(a, ao, ap, bp, bbase, c, co$L, jc, nc, i0, $T.min($L, i0 + rb), q0, $T.min(np, q0 + cb), tile)",
        tile, addendArguments(spec), MATH, spec.m(), MATH);
    b.endControlFlow();
    b.endControlFlow();
    b.endControlFlow();
    if (edges) {
      b.addStatement("$L(tile)", give);
    }
    methods.add(m.addCode(b.build()).build());
    return name;
  }

  /**
   * One tile: rows [i0, i1) x column panels [q0, q1) of the column block at jc, every K block;
   * with {@code perTile}, A's rows of each K block packed first into {@code ap} (the thread's
   * block, {@code ap[(i - i0) * kc + p * mr + r]}), else read from A packed whole.
   */
  private String tileMethod(GemmSpec spec, String epi, int aFirst, int aRows, boolean directA, boolean perTile) {
    int mr = p.mr();
    int nr = p.nr();
    int k = spec.k();
    String name = methodNames.newName("gemmTile");
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "ap").addParameter(float[].class, "bp").addParameter(int.class, "bbase")
        .addParameter(float[].class, "c").addParameter(int.class, "co");
    addendParameters(m, spec);
    m.addParameter(int.class, "jc").addParameter(int.class, "nc")
        .addParameter(int.class, "i0").addParameter(int.class, "i1")
        .addParameter(int.class, "q0").addParameter(int.class, "q1")
        .addParameter(float[].class, "tile");
    String xs = addendArguments(spec);
    CodeBlock.Builder b = CodeBlock.builder();
    b.beginControlFlow("for (int pc = 0; pc < $L; pc += $L)", k, kc(k));
    b.addStatement("final int kc = $T.min($L, $L - pc)", MATH, kc(k), k);
    b.addStatement("final boolean first = pc == 0");
    if (perTile) {
      b.addStatement("$L(a, ao, ap, i0, i1, pc, kc)", packRows(spec));
    } else {
      b.addStatement("final int abase = pc * $L", aRows);
    }
    b.beginControlFlow("for (int q = q0; q < q1; q++)");
    b.addStatement("final int j = q * $L", nr);
    b.addStatement("final int cols = $T.min($L, nc - j)", MATH, nr);
    b.addStatement("final int bi = bbase + q * $L + pc * $L", (long) k * nr, nr);
    b.beginControlFlow("for (int i = i0; i < i1; i += $L)", mr);
    b.addStatement("final int ci = co + i * $L + jc + j", spec.cRowStride());
    if (directA) {
      b.beginControlFlow("if (i + $L <= $L)", mr, spec.m());
      product(b, spec, micro(k, true, spec.aRowStride()), "a, ao + i * " + spec.aRowStride() + " + pc");
      b.nextControlFlow("else");
      product(b, spec, micro(k, false, 0), "ap, abase + (i - " + aFirst * mr + ") * kc");
      b.endControlFlow();
    } else if (perTile) {
      product(b, spec, micro(k, false, 0), "ap, (i - i0) * kc");
    } else {
      product(b, spec, micro(k, false, 0), "ap, abase + i * kc");
    }
    if (epi != null) {
      b.beginControlFlow("if (pc + kc == $L)", k);
      b.addStatement("$L(c, ci, $T.min($L, $L - i), cols, i, jc + j$L)", epi, MATH, mr, spec.m(), xs);
      b.endControlFlow();
    }
    b.endControlFlow();
    b.endControlFlow();
    b.endControlFlow();
    methods.add(m.addCode(b.build()).build());
    return name;
  }

  /** The product of one mr x nr tile (or less at the edges) into C, A given by {@code aArgs}. */
  private void product(CodeBlock.Builder b, GemmSpec spec, String kernel, String aArgs) {
    int mr = p.mr();
    int nr = p.nr();
    b.beginControlFlow("if (cols == $L && i + $L <= $L)", nr, mr, spec.m());
    b.addStatement("$L($L, bp, bi, kc, c, ci, $L, !first)", kernel, aArgs, spec.cRowStride());
    b.nextControlFlow("else");
    b.addStatement("final int rows = $T.min($L, $L - i)", MATH, mr, spec.m());
    b.addStatement("$L($L, bp, bi, kc, tile, 0, $L, false)", kernel, aArgs, nr);
    b.beginControlFlow("for (int r = 0; r < rows; r++)");
    b.beginControlFlow("for (int jj = 0; jj < cols; jj++)");
    b.addStatement("final int e = ci + r * $L + jj", spec.cRowStride());
    b.addStatement("final float v = tile[r * $L + jj]", nr);
    b.addStatement("c[e] = first ? v : c[e] + v");
    b.endControlFlow();
    b.endControlFlow();
    b.endControlFlow();
  }

  /**
   * Packing: items {@code [lo, hi)}, the first {@code aPanels} being A's row panels (every K
   * block: {@code ap[pc * aRows + (i - aFirst * mr) * kc + p * mr + r]}), the others B's column panels of the
   * block at jc over the whole depth ({@code bp[q * k * nr + p * nr + j]}, the layout of
   * {@link PackedWeights}); panels past the end of A or B are zero-padded.
   */
  private String packMethod(GemmSpec spec, int aFirst, int aRows) {
    String name = methodNames.newName("gemmPack");
    int mr = p.mr();
    int nr = p.nr();
    int k = spec.k();
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("final long tw = $T.ON ? $T.nanoTime() : 0L", TRACE, System.class);
    b.addStatement("final long tc = $T.ON ? $T.cpu() : 0L", TRACE, TRACE);
    b.beginControlFlow("for (int x = lo; x < hi; x++)");
    b.beginControlFlow("if (x < aPanels)");
    b.addStatement("final int i = (x + $L) * $L", aFirst, mr);
    b.addStatement("final int rows = $T.min($L, $L - i)", MATH, mr, spec.m());
    b.beginControlFlow("for (int pc = 0; pc < $L; pc += $L)", k, kc(k));
    b.addStatement("final int kc = $T.min($L, $L - pc)", MATH, kc(k), k);
    b.addStatement("final int d = pc * $L + (i - $L) * kc", aRows, aFirst * mr);
    packPanel(b, spec);
    b.endControlFlow();
    if (!spec.packedB()) {
      b.nextControlFlow("else");
      b.addStatement("final int q = x - aPanels");
      b.addStatement("final int j = jc + q * $L", nr);
      b.addStatement("final int cols = $T.min($L, nc - q * $L)", MATH, nr, nr);
      b.addStatement("final int d = q * $L", (long) k * nr);
      if (spec.bColStride() == 1) {
        b.beginControlFlow("if (cols == $L)", nr);
        b.addStatement("$L(b, bo + j, $L, bp, d, $L)", packPanelB, spec.bRowStride(), k);
        b.addStatement("continue");
        b.endControlFlow();
      }
      b.addStatement("$T.fill(bp, d, d + $L, 0f)", java.util.Arrays.class, (long) k * nr);
      if (spec.bRowStride() == 1 && spec.bColStride() != 1) {
        b.beginControlFlow("for (int jj = 0; jj < cols; jj++)");
        b.addStatement("final int s = bo + (j + jj) * $L", spec.bColStride());
        b.beginControlFlow("for (int p = 0; p < $L; p++)", k);
        b.addStatement("bp[d + p * $L + jj] = b[s + p]", nr);
        b.endControlFlow();
        b.endControlFlow();
      } else {
        b.beginControlFlow("for (int p = 0; p < $L; p++)", k);
        b.addStatement("final int s = bo + p * $L + j * $L", spec.bRowStride(), spec.bColStride());
        b.beginControlFlow("for (int jj = 0; jj < cols; jj++)");
        b.addStatement("bp[d + p * $L + jj] = b[s + jj * $L]", nr, spec.bColStride());
        b.endControlFlow();
        b.endControlFlow();
      }
    }
    b.endControlFlow();
    b.endControlFlow();
    b.beginControlFlow("if ($T.ON)", TRACE);
    b.addStatement("$T.pack(lo, hi, tw, tc)", TRACE);
    b.endControlFlow();
    methods.add(MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "b").addParameter(int.class, "bo")
        .addParameter(float[].class, "ap").addParameter(float[].class, "bp")
        .addParameter(int.class, "jc").addParameter(int.class, "nc").addParameter(int.class, "aPanels")
        .addParameter(int.class, "lo").addParameter(int.class, "hi")
        .addCode(b.build()).build());
    return name;
  }

  /**
   * Code packing one row panel of A: rows {@code [i, i + rows)} of the K block {@code [pc, pc +
   * kc)} into {@code ap[d + p * mr + r]}, zero-padded below {@code rows}.
   */
  private void packPanel(CodeBlock.Builder b, GemmSpec spec) {
    int mr = p.mr();
    if (spec.aColStride() == 1) {
      b.beginControlFlow("if (rows == $L)", mr);
      b.addStatement("$L(a, ao + i * $L + pc, $L, ap, d, kc)", packPanelA, spec.aRowStride(), spec.aRowStride());
      b.nextControlFlow("else");
    } else {
      b.beginControlFlow("");
    }
    b.beginControlFlow("if (rows < $L)", mr);
    b.addStatement("$T.fill(ap, d, d + kc * $L, 0f)", java.util.Arrays.class, mr);
    b.endControlFlow();
    if (spec.aRowStride() == 1 && spec.aColStride() != 1) {
      b.beginControlFlow("for (int p = 0; p < kc; p++)");
      b.addStatement("final int s = ao + i + (pc + p) * $L", spec.aColStride());
      b.beginControlFlow("for (int r = 0; r < rows; r++)");
      b.addStatement("ap[d + p * $L + r] = a[s + r]", mr);
      b.endControlFlow();
      b.endControlFlow();
    } else {
      b.beginControlFlow("for (int r = 0; r < rows; r++)");
      b.addStatement("final int s = ao + (i + r) * $L + pc * $L", spec.aRowStride(), spec.aColStride());
      b.beginControlFlow("for (int p = 0; p < kc; p++)");
      b.addStatement("ap[d + p * $L + r] = a[s + p * $L]", mr, spec.aColStride());
      b.endControlFlow();
      b.endControlFlow();
    }
    b.endControlFlow();
  }

  /** Names of the per-tile A packing methods, by spec (one per GEMM). */
  private final Map<GemmSpec, String> packRows = new java.util.HashMap<>();

  /**
   * The method packing rows {@code [i0, i1)} of A ({@code i0} a multiple of mr) of one K block
   * into {@code ap[(i - i0) * kc + p * mr + r]}: a tile's block of A, packed by the thread that
   * runs the tile.
   */
  private String packRows(GemmSpec spec) {
    return packRows.computeIfAbsent(spec, x -> {
      String name = methodNames.newName("gemmPackRows");
      int mr = p.mr();
      CodeBlock.Builder b = CodeBlock.builder();
      b.addStatement("final long tw = $T.ON ? $T.nanoTime() : 0L", TRACE, System.class);
      b.addStatement("final long tc = $T.ON ? $T.cpu() : 0L", TRACE, TRACE);
      b.beginControlFlow("for (int i = i0; i < i1; i += $L)", mr);
      b.addStatement("final int rows = $T.min($L, $L - i)", MATH, mr, spec.m());
      b.addStatement("final int d = (i - i0) * kc");
      packPanel(b, spec);
      b.endControlFlow();
      b.beginControlFlow("if ($T.ON)", TRACE);
      b.addStatement("$T.pack(i0, i1, tw, tc)", TRACE);
      b.endControlFlow();
      methods.add(MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("Rows [i0, i1) of A, K block [pc, pc + kc), packed into ap from 0.\n")
          .addParameter(float[].class, "a").addParameter(int.class, "ao")
          .addParameter(float[].class, "ap")
          .addParameter(int.class, "i0").addParameter(int.class, "i1")
          .addParameter(int.class, "pc").addParameter(int.class, "kc")
          .addCode(b.build()).build());
      return name;
    });
  }

  private MethodSpec.Builder entryMethod(String name, GemmSpec spec) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("C[$L x $L] = epilogue(A[$L x $L] B[$L x $L])$L.\n", spec.m(), spec.n(), spec.m(),
            spec.k(), spec.k(), spec.n(), spec.packedB() ? ", B prepacked" : "")
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "b").addParameter(int.class, "bo")
        .addParameter(float[].class, "c").addParameter(int.class, "co");
    addendParameters(m, spec);
    return m.addParameter(EXECUTOR, "par");
  }

  // ---- M < mr: GEMV and small M ----

  /**
   * Small M with B an input in row-major order: no packing at all. Each task owns a chunk of
   * columns; C's rows of the chunk stay in L1 while B streams through row by row (contiguous
   * reads, every B element read once), {@code u} rows of B per pass over the chunk.
   */
  private String streamPath(GemmSpec spec, String epi) {
    int m = spec.m();
    int lanes = p.lanes();
    int u = Math.max(1, Math.min(4, 12 / m));
    String stream = methodNames.newName("gemmStream");
    String entry = methodNames.newName("gemm");
    String xs = addendArguments(spec);
    MethodSpec.Builder sm = MethodSpec.methodBuilder(stream)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("Columns [j0, j1) of all $L rows, B streamed row by row.\n", m)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "b").addParameter(int.class, "bo")
        .addParameter(float[].class, "c").addParameter(int.class, "co");
    addendParameters(sm, spec);
    sm.addParameter(int.class, "from").addParameter(int.class, "to");
    // Pieces of C small enough to stay in L1 (half of it) while B streams past.
    int piece = (int) Math.max(lanes, Math.min(4096, p.l1Floats() / 2 / m / lanes * lanes));
    CodeBlock.Builder b = CodeBlock.builder();
    b.beginControlFlow("for (int j0 = from; j0 < to; j0 += $L)", piece);
    b.addStatement("final int j1 = $T.min(to, j0 + $L)", MATH, piece);
    for (int r = 0; r < m; r++) {
      b.addStatement("$T.fill(c, co + $L + j0, co + $L + j1, 0f)", java.util.Arrays.class,
          (long) r * spec.cRowStride(), (long) r * spec.cRowStride());
    }
    b.addStatement("final int jv = j0 + (j1 - j0) / $L * $L", lanes, lanes);
    b.addStatement("int p = 0");
    for (int step : u > 1 ? new int[] {u, 1} : new int[] {1}) {
      b.beginControlFlow("for (; p + $L <= $L; p += $L)", step, spec.k(), step);
      for (int r = 0; r < m; r++) {
        for (int x = 0; x < step; x++) {
          b.addStatement("final float s$L_$L = a[ao + $L + (p + $L) * $L]", r, x, (long) r * spec.aRowStride(),
              x, spec.aColStride());
          b.addStatement("final $T a$L_$L = $T.broadcast($L, s$L_$L)", FV, r, x, FV, S, r, x);
        }
      }
      b.addStatement("final int br = bo + p * $L", spec.bRowStride());
      b.beginControlFlow("for (int j = j0; j < jv; j += $L)", lanes);
      for (int x = 0; x < step; x++) {
        b.addStatement("final $T b$L = $T.fromArray($L, b, br + $L + j)", FV, x, FV, S,
            (long) x * spec.bRowStride());
      }
      for (int r = 0; r < m; r++) {
        b.addStatement("final int e$L = co + $L + j", r, (long) r * spec.cRowStride());
        b.addStatement("$T c$L = $T.fromArray($L, c, e$L)", FV, r, FV, S, r);
        for (int x = 0; x < step; x++) {
          b.addStatement("c$L = a$L_$L.fma(b$L, c$L)", r, r, x, x, r);
        }
        b.addStatement("c$L.intoArray(c, e$L)", r, r);
      }
      b.endControlFlow();
      b.beginControlFlow("for (int j = jv; j < j1; j++)");
      for (int r = 0; r < m; r++) {
        b.addStatement("final int e$L = co + $L + j", r, (long) r * spec.cRowStride());
        for (int x = 0; x < step; x++) {
          b.addStatement("c[e$L] = $T.fma(s$L_$L, b[br + $L + j], c[e$L])", r, MATH, r, x,
              (long) x * spec.bRowStride(), r);
        }
      }
      b.endControlFlow();
      b.endControlFlow();
    }
    if (epi != null) {
      b.addStatement("$L(c, co + j0, $L, j1 - j0, 0, j0$L)", epi, m, xs);
    }
    b.endControlFlow();
    methods.add(sm.addCode(b.build()).build());

    MethodSpec.Builder em = entryMethod(entry, spec);
    String args = "a, ao, b, bo, c, co" + xs;
    // One range of whole vectors per thread.
    if (parallelSmall(spec)) {
      em.addStatement("final int w = ($L / par.threads() + $L) / $L * $L", spec.n(), lanes - 1, lanes, lanes);
      em.addStatement("final int chunks = ($L + w - 1) / w", spec.n());
      em.addStatement("par.forRange(chunks, ($T) (lo, hi) -> $L($L, lo * w, $T.min($L, hi * w)))", RANGE_TASK,
          stream, args, MATH, spec.n());
    } else {
      em.addStatement("$L($L, 0, $L)", stream, args, spec.n());
    }
    methods.add(em.build());
    return entry;
  }


  private String smallPath(GemmSpec spec, String epi) {
    int nr = p.nr();
    int m = spec.m();
    int k = spec.k();
    String kernel = smallKernel(spec);
    String panels = methodNames.newName("gemmPanels");
    String entry = methodNames.newName("gemm");
    String xs = addendArguments(spec);
    boolean directB = !spec.packedB() && spec.bColStride() == 1;
    int scratch = k * nr + m * nr;

    MethodSpec.Builder pm = MethodSpec.methodBuilder(panels)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "b").addParameter(int.class, "bo")
        .addParameter(float[].class, "c").addParameter(int.class, "co");
    addendParameters(pm, spec);
    pm.addParameter(int.class, "q0").addParameter(int.class, "q1");
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("float[] s = null");
    b.beginControlFlow("for (int q = q0; q < q1; q++)");
    b.addStatement("final int j = q * $L", nr);
    b.addStatement("final int cols = $T.min($L, $L - j)", MATH, nr, spec.n());
    b.addStatement("final float[] src");
    b.addStatement("final int bi");
    b.addStatement("final int ldb");
    if (spec.packedB()) {
      b.addStatement("src = b");
      b.addStatement("bi = bo + q * $L", (long) k * nr);
      b.addStatement("ldb = $L", nr);
    } else {
      if (directB) {
        b.beginControlFlow("if (cols == $L)", nr);
        b.addStatement("src = b");
        b.addStatement("bi = bo + j");
        b.addStatement("ldb = $L", spec.bRowStride());
        b.nextControlFlow("else");
      } else {
        b.beginControlFlow("");
      }
      b.beginControlFlow("if (s == null)");
      b.addStatement("s = $L($L)", take, scratch);
      b.endControlFlow();
      b.beginControlFlow("for (int p = 0; p < $L; p++)", k);
      b.beginControlFlow("for (int jj = 0; jj < $L; jj++)", nr);
      b.addStatement("s[p * $L + jj] = jj < cols ? b[bo + p * $L + (j + jj) * $L] : 0f", nr, spec.bRowStride(),
          spec.bColStride());
      b.endControlFlow();
      b.endControlFlow();
      b.addStatement("src = s");
      b.addStatement("bi = 0");
      b.addStatement("ldb = $L", nr);
      b.endControlFlow();
    }
    b.beginControlFlow("if (cols == $L)", nr);
    b.addStatement("$L(a, ao, src, bi, ldb, $L, c, co + j, $L)", kernel, k, spec.cRowStride());
    b.nextControlFlow("else");
    b.beginControlFlow("if (s == null)");
    b.addStatement("s = $L($L)", take, scratch);
    b.endControlFlow();
    b.addStatement("$L(a, ao, src, bi, ldb, $L, s, $L, $L)", kernel, k, k * nr, nr);
    b.beginControlFlow("for (int r = 0; r < $L; r++)", m);
    b.addStatement("$T.arraycopy(s, $L + r * $L, c, co + j + r * $L, cols)", System.class, k * nr, nr,
        spec.cRowStride());
    b.endControlFlow();
    b.endControlFlow();
    if (epi != null) {
      b.addStatement("$L(c, co + j, $L, cols, 0, j$L)", epi, m, xs);
    }
    b.endControlFlow();
    b.beginControlFlow("if (s != null)");
    b.addStatement("$L(s)", give);
    b.endControlFlow();
    methods.add(pm.addCode(b.build()).build());

    MethodSpec.Builder em = entryMethod(entry, spec);
    int np = (spec.n() + nr - 1) / nr;
    String args = "a, ao, b, bo, c, co" + xs;
    if (parallelSmall(spec)) {
      // On one thread, the panels in one call (as below the threshold): no counter, and the
      // same call chain as a serial GEMV for the JIT.
      String shared = sharedPanelsMethod(spec, panels, np);
      em.beginControlFlow("if (par.threads() > 1)");
      em.addStatement("final $T claims = new $T($L, par.threads(), $L)", RANGE_CLAIMS, RANGE_CLAIMS, np,
          panelGroup(spec, np));
      em.addStatement("par.forRange(par.threads(), ($T) (lo, hi) -> $L($L, claims, lo, hi))", RANGE_TASK, shared,
          args);
      em.nextControlFlow("else");
      em.addStatement("$L($L, 0, $L)", panels, args, np);
      em.endControlFlow();
    } else {
      em.addStatement("$L($L, 0, $L)", panels, args, np);
    }
    methods.add(em.build());
    return entry;
  }

  /*
   * Why the small-M panels are claimed in groups (RangeClaims) rather than split in one fixed
   * chunk per thread: a GEMV is tens of microseconds of work (MLP batch 1's 784 x 512 is ~20),
   * about what a parked worker takes to wake up. With fixed chunks, a worker that started its
   * half just before the caller finished its own made the caller wait for that whole half; with
   * claims, the caller goes on with the panels left of the worker's region and a late worker
   * takes only the rest. Each thread starts on a region of its own (not alternate groups from one
   * counter): the claims stay in its own cache, and so do its panels of constant weights from one
   * run to the next when they fit.
   */

  /** Panels per claim: at least 64 KiB of B (so claims are rare), at least 8 claims in all. */
  private int panelGroup(GemmSpec spec, int np) {
    long perPanel = (long) spec.k() * p.nr();
    return (int) Math.max(1, Math.min(np / 8, (16384L + perPanel - 1) / perPanel));
  }

  /** Panel groups of the small-M path claimed for threads [lo, hi) until none is left. */
  private String sharedPanelsMethod(GemmSpec spec, String panels, int np) {
    String name = methodNames.newName("gemmPanelsShared");
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("Groups of the $L column panels, claimed from the regions of threads [lo, hi) first.\n", np)
        .addParameter(float[].class, "a").addParameter(int.class, "ao")
        .addParameter(float[].class, "b").addParameter(int.class, "bo")
        .addParameter(float[].class, "c").addParameter(int.class, "co");
    addendParameters(m, spec);
    m.addParameter(RANGE_CLAIMS, "claims").addParameter(int.class, "lo").addParameter(int.class, "hi");
    m.beginControlFlow("for (int t = lo; t < hi; t++)");
    m.beginControlFlow("for (long g; (g = claims.claim(t)) >= 0; )");
    m.addStatement("$L(a, ao, b, bo, c, co$L, (int) (g >>> 32), (int) g)", panels, addendArguments(spec));
    m.endControlFlow();
    m.endControlFlow();
    methods.add(m.build());
    return name;
  }

  /*
   * Why the small-M kernel takes its depth as an argument and is shared by the GEMVs with the same
   * M and A strides: a GEMV's kernel runs once per column panel, and an MLP's last layer (512 x 10:
   * one panel) calls its own once per model run, so it took thousands of runs to reach C2 and ran
   * as C1 code until then, where the Vector API is not intrinsified (MLP batch 1 at load 15 to 20:
   * 1 to 9 ms per run instead of 0.04 in some processes, the 512 x 10 kernel still at tier 3 after
   * 30 s). Shared with the wide layers' kernel it reaches C2 with them in the first runs; the
   * product is memory-bound, so a literal trip count bought nothing.
   */

  /** Names of the small-M kernels by M and A's strides. */
  private final Map<List<Long>, String> smallKernels = new java.util.HashMap<>();

  /**
   * The m x nr product over depth {@code k} with A read in place: {@code sets} independent
   * accumulator sets over interleaved p keep enough fmas in flight when m is small.
   */
  private String smallKernel(GemmSpec spec) {
    // One row: its row stride is never used.
    List<Long> key = List.of((long) spec.m(), spec.m() == 1 ? 0L : (long) spec.aRowStride(), (long) spec.aColStride());
    String known = smallKernels.get(key);
    if (known != null) {
      return known;
    }
    String name = methodNames.newName("gemmRows");
    smallKernels.put(key, name);
    int m = spec.m();
    int nv = p.nrVectors();
    int lanes = p.lanes();
    int sets = Math.max(1, Math.min(4, 8 / (m * nv)));
    CodeBlock.Builder b = CodeBlock.builder();
    for (int s = 0; s < sets; s++) {
      for (int r = 0; r < m; r++) {
        for (int v = 0; v < nv; v++) {
          b.addStatement("$T c$L_$L_$L = $T.zero($L)", FV, s, r, v, FV, S);
        }
      }
    }
    b.addStatement("int p = 0");
    if (sets > 1) {
      b.beginControlFlow("for (; p + $L <= k; p += $L)", sets, sets);
      for (int s = 0; s < sets; s++) {
        smallStep(b, spec, s, "p + " + s, nv, lanes);
      }
      b.endControlFlow();
    }
    b.beginControlFlow("for (; p < k; p++)");
    smallStep(b, spec, 0, "p", nv, lanes);
    b.endControlFlow();
    for (int s = 1; s < sets; s++) {
      for (int r = 0; r < m; r++) {
        for (int v = 0; v < nv; v++) {
          b.addStatement("c0_$L_$L = c0_$L_$L.add(c$L_$L_$L)", r, v, r, v, s, r, v);
        }
      }
    }
    for (int r = 0; r < m; r++) {
      for (int v = 0; v < nv; v++) {
        b.addStatement("c0_$L_$L.intoArray(c, ci + $L * ldc + $L)", r, v, r, v * lanes);
      }
    }
    methods.add(MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("$L rows x $L columns over depth k, A in place (rows $L apart, columns $L).\n", m, p.nr(),
            key.get(1), key.get(2))
        .addParameter(float[].class, "a").addParameter(int.class, "ai")
        .addParameter(float[].class, "b").addParameter(int.class, "bi").addParameter(int.class, "ldb")
        .addParameter(int.class, "k")
        .addParameter(float[].class, "c").addParameter(int.class, "ci").addParameter(int.class, "ldc")
        .addCode(b.build()).build());
    return name;
  }

  private void smallStep(CodeBlock.Builder b, GemmSpec spec, int set, String pp, int nv, int lanes) {
    b.beginControlFlow("");
    b.addStatement("final int q = $L", pp);
    for (int v = 0; v < nv; v++) {
      b.addStatement("final $T b$L = $T.fromArray($L, b, bi + q * ldb + $L)", FV, v, FV, S, v * lanes);
    }
    for (int r = 0; r < spec.m(); r++) {
      b.addStatement("final $T a$L = $T.broadcast($L, a[ai + $L + q * $L])", FV, r, FV, S,
          r * spec.aRowStride(), spec.aColStride());
      for (int v = 0; v < nv; v++) {
        b.addStatement("c$L_$L_$L = a$L.fma(b$L, c$L_$L_$L)", set, r, v, r, v, set, r, v);
      }
    }
    b.endControlFlow();
  }

  private static int roundUp(int x, int to) {
    return (x + to - 1) / to * to;
  }
}
