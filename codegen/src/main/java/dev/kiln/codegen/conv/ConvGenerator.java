package dev.kiln.codegen.conv;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import dev.kiln.codegen.gemm.EpilogueCode;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.runtime.compiled.BalancedSplit;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.compiled.RangeTask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.lang.model.element.Modifier;

/**
 * Generates the Java code of direct convolutions on the blocked channel layout (NCHWc), the
 * structure of MLAS's NCHWc kernels, every extent and stride a literal:
 *
 * <pre>
 * parallel over (image n, group of up to V output-channel blocks, range of output rows), per row:
 *   taps kh outside the image skipped for the whole row
 *   border pixels (some kw outside the image): one pixel at a time, taps clipped
 *   interior pixels, P at a time:  microkernel P x V
 *     P x V FloatVector accumulators (one vector = b output channels)
 *     for each input-channel block of a chunk, step t = (kh, kw, input lane l) in one loop:
 *       load the V weight vectors of step t, broadcast x of each pixel at its offset, fma
 *       (the input offset of step t from a static table; the weights of step t at t * b)
 *   (the rows of a task run chunk by chunk: a chunk's weights stay in L1 over all its rows)
 *   after the last chunk: epilogue (bias, residual, activation) on each finished row in L1;
 *   pad lanes stay 0
 * </pre>
 *
 * The weights are read packed ({@link PackedConvLayout}): packed at compile time when constant
 * ({@link PackedConvWeights}), else by a generated loop on every run into pooled scratch. Padding
 * needs no copy of the input: rows of taps outside the image are skipped, and only the few border
 * pixels run a kernel with clipped taps (loops kh, kw, lane). A padded convolution narrower than
 * {@link #BORDERED_MAX_WIDTH} reads a zero-bordered copy instead and runs its microkernels over the
 * pixels of all its rows as one sequence ({@link One#plane}). The vector length must equal the
 * block b.
 */
public final class ConvGenerator {
  static final ClassName FV = ClassName.get("jdk.incubator.vector", "FloatVector");
  static final ClassName EXECUTOR = ClassName.get(ParallelExecutor.class);
  static final ClassName RANGE_TASK = ClassName.get(RangeTask.class);
  static final ClassName BALANCED_SPLIT = ClassName.get(BalancedSplit.class);
  static final ClassName MATH = ClassName.get(Math.class);
  static final String S = "CONV_SPECIES";
  static final String POOL = "CONV_SCRATCH";
  /** Below this many flops a convolution runs on the calling thread. */
  static final long PARALLEL_FLOPS = 1L << 22;
  /** Pointwise convolutions by {@link PointwiseConv}; {@code -Dkiln.conv.pointwise=false} for the general kernel. */
  static final boolean POINTWISE = !"false".equals(System.getProperty("kiln.conv.pointwise"));

  /** Emits the code of one output-channel group, given its width in blocks and whether it is masked. */
  interface GroupBody {
    void emit(CodeBlock.Builder c, int blocks, boolean masked);
  }

  /**
   * The output-channel groups of a task {@code g}: every group but the last is {@code v} whole
   * blocks, the last {@code vLast} blocks, its last one masked when the channels end inside it.
   */
  static void byGroupWidth(CodeBlock.Builder c, int groups, int v, int vLast, boolean lastMasked,
      GroupBody body) {
    if (groups > 1) {
      c.beginControlFlow("if (g < $L)", groups - 1);
      body.emit(c, v, false);
      c.nextControlFlow("else");
      body.emit(c, vLast, lastMasked);
      c.endControlFlow();
    } else {
      body.emit(c, vLast, lastMasked);
    }
  }

  /** One {@code float[] xA, int OFFSET_A} parameter pair per epilogue addend (residuals). */
  static void addendParameters(MethodSpec.Builder m, ConvSpec spec, String offset) {
    for (int a = 0; a < spec.addends().size(); a++) {
      m.addParameter(float[].class, "x" + a).addParameter(int.class, offset + a);
    }
  }

  /**
   * The generator's switches that change the emitted source without showing in the loop IR, for
   * the kernel cache key: without it a cached class from the other setting would be reused.
   */
  public static String cacheKeyPart() {
    return "pointwise=" + POINTWISE + ",bordered=" + BORDERED + ",blocks=" + FORCED_BLOCKS
        + ",pointwiseRemainder=" + PointwiseConv.REMAINDER_KERNELS
        + ",pointwiseEpilogue=" + PointwiseConv.EPILOGUE_IN_REGISTERS + ",chunk=" + FORCED_CHUNK + ",plane=" + PLANE
        + ",flatTaps=" + FLAT_TAPS + ",chunkSteps=" + CHUNK_STEPS + ",literalSteps=" + LITERAL_STEPS;
  }

  /**
   * When a padded convolution reads a zero-bordered copy of its input ({@link #bordered}):
   * {@code auto} (the default) below {@link #BORDERED_MAX_WIDTH} output columns, {@code true}
   * always, {@code false} never (the clipped border pixels); for measuring.
   */
  static final String BORDERED = System.getProperty("kiln.conv.bordered", "auto");
  /** Output-channel blocks per microkernel forced by {@code -Dkiln.conv.blocks=V} (0: chosen). */
  static final int FORCED_BLOCKS = Integer.getInteger("kiln.conv.blocks", 0);
  /**
   * Whether a bordered convolution runs its microkernels over the pixels of a task's rows as one
   * sequence ({@link One#plane}): true, or {@code -Dkiln.conv.plane=false} (row by row; A/B).
   */
  static final boolean PLANE = !"false".equals(System.getProperty("kiln.conv.plane"));
  /**
   * Whether a microkernel with every kw tap runs its taps and input lanes as one loop
   * ({@code -Dkiln.conv.flatTaps}, default true; false: the loops kh, kw, lane). C2 keeps the
   * accumulators in registers within one loop but stores and reloads most of them on every exit
   * and entry of the nested kw and lane loops (seen in the disassembly: 24 zmm spills per 16
   * lane steps of a 6 x 4 block).
   */
  static final boolean FLAT_TAPS = !"false".equals(System.getProperty("kiln.conv.flatTaps"));
  /**
   * Whether a flat microkernel over a chunk of several input blocks runs all their steps as one
   * loop when every kh tap is inside the image ({@code -Dkiln.conv.chunkSteps}, default true;
   * false: a loop per block around its steps, which C2 spilled between).
   */
  static final boolean CHUNK_STEPS = !"false".equals(System.getProperty("kiln.conv.chunkSteps"));
  /**
   * Whether the microkernels of a convolution over its bordered plane ({@link One#plane}, every
   * kh tap inside) loop over their steps with a literal trip count rather than from {@code khLo}
   * to {@code khHi} ({@code -Dkiln.conv.literalSteps}, default true; false for A/B). C2 unrolls
   * a loop of known trip count without the pre- and post-loops: the 512 x 7 x 7 layer's kernel
   * (copies of the generated methods, one thread) took 1.11 to 1.12 ms against 1.14 to 1.17.
   */
  static final boolean LITERAL_STEPS = !"false".equals(System.getProperty("kiln.conv.literalSteps"));
  /** Input-channel blocks per chunk forced by {@code -Dkiln.conv.chunk=C} (0: chosen). */
  static final int FORCED_CHUNK = Integer.getInteger("kiln.conv.chunk", 0);
  /**
   * Up to this output width a padded convolution reads a bordered copy: its two border pixels
   * per row (each a one-pixel microkernel, load-bound) are 2/7 of a 7-wide row, 1/7 at 14.
   */
  static final int BORDERED_MAX_WIDTH = 28;

  private final int lanes;
  private final long l1;
  private final long l2;
  private final int maxBlocks;
  private final int laneUnroll;
  private final NameAllocator methodNames;
  private final List<MethodSpec> methods = new ArrayList<>();
  /** The tap offset tables of the flat microkernels ({@link #FLAT_TAPS}). */
  private final List<FieldSpec> tables = new ArrayList<>();
  private String take;
  private String give;

  /**
   * @param lanes floats per vector of the generated code; 0 disables the generator
   * @param l1 bytes of the level-1 data cache, which a chunk of the weights should fit
   * @param l2 bytes of the level-2 cache, which a pointwise convolution's weights of one group
   *     of output blocks should fit (half of it)
   * @param maxBlocks output-channel blocks per microkernel (V, 1..4)
   * @param laneUnroll input lanes per step of the microkernel's inner loop (divides b)
   */
  public ConvGenerator(int lanes, long l1, long l2, int maxBlocks, int laneUnroll, NameAllocator methodNames) {
    this.lanes = lanes;
    this.l1 = l1;
    this.l2 = l2;
    this.maxBlocks = maxBlocks;
    this.laneUnroll = laneUnroll;
    this.methodNames = methodNames;
  }

  /**
   * The default register blocking: up to 4 output-channel blocks, one lane per step. Unrolling
   * the lanes makes the microkernel too large for C1 ("out of virtual registers"), and a method
   * C1 gives up on may run unoptimized for a long time before C2 takes it (measured: 100x slower).
   */
  public ConvGenerator(int lanes, long l1, long l2, NameAllocator methodNames) {
    this(lanes, l1, l2, 4, 1, methodNames);
  }

  /** Whether the generator can take {@code spec} (else the emitter writes plain loops). */
  public boolean supports(ConvSpec spec) {
    return lanes > 0 && spec.block() == lanes && lanes % laneUnroll == 0
        && spec.packedWeightSize() < Integer.MAX_VALUE && spec.outHeight() > 0 && spec.outWidth() > 0
        && spec.batch() > 0
        && (long) spec.outBlocks() * lanes * spec.outHeight() * spec.outWidth() * spec.batch() < Integer.MAX_VALUE;
  }

  public List<MethodSpec> methods() {
    return methods;
  }

  /** The class fields the methods use; empty when no convolution was generated. */
  public List<FieldSpec> fields() {
    if (take == null) {
      return List.of();
    }
    List<FieldSpec> fields = new ArrayList<>();
    fields.add(dev.kiln.codegen.emit.SpeciesField.of(S, lanes));
    fields.add(dev.kiln.codegen.emit.ScratchPoolCode.field(POOL));
    fields.addAll(tables);
    return fields;
  }

  /** Pixels per microkernel for {@code v} blocks: P x V accumulators plus V weights and a broadcast fit 32 registers. */
  static int pixels(int v) {
    return switch (v) {
      case 1 -> 14;
      case 2 -> 12;
      case 3 -> 8;
      default -> 6;
    };
  }

  /**
   * Whether a convolution reads a zero-bordered copy of its input: a blocked input (NCHW inputs
   * have few channels and a wide image), some padding, and an output narrower than
   * {@link #BORDERED_MAX_WIDTH} (or {@code -Dkiln.conv.bordered}). The copy costs one pass over
   * x (arraycopy); the border pixels it removes run one at a time, load-bound (one weight load per
   * fma), and at 7 columns they are 2 of 7 (ResNet-18's 512@7^2: 1.57 -> 1.15 ms, ConvBench).
   */
  static boolean bordered(ConvSpec spec) {
    ConvGeometry g = spec.geometry();
    if (spec.inBlock() != spec.block() || "false".equals(BORDERED)) {
      return false;
    }
    long needH = (spec.outHeight() - 1L) * g.strideH() + (g.kernelH() - 1) * g.dilationH() + 1;
    long needW = (spec.outWidth() - 1L) * g.strideW() + (g.kernelW() - 1) * g.dilationW() + 1;
    boolean padded = g.padTop() > 0 || g.padLeft() > 0 || needH > g.padTop() + spec.height()
        || needW > g.padLeft() + spec.width();
    boolean fits = (double) spec.batch() * spec.inBlocks() * needH * needW * spec.block() < Integer.MAX_VALUE;
    return padded && fits && ("true".equals(BORDERED) || spec.outWidth() < BORDERED_MAX_WIDTH);
  }

  /**
   * Output-channel blocks per microkernel of a bordered convolution: the most (up to {@code max})
   * whose weights for one input block ({@code V·KH·KW·b·b} floats) and one input block's bordered
   * plane fit 7/8 of L1 together, since a chunk's weights are reused over every row of the plane.
   * Measured (ConvBench, 1 thread, CPU time p10): 512@7^2 V = 4 1.16 ms (41 KB), 3 1.41, 2 1.32;
   * 256@14^2 V = 2 1.15 to 1.21 ms (35 KB), 3 1.32 (44 KB), 4 1.55 (53 KB). A plane larger than
   * half of L1 keeps {@code max}.
   */
  static int blocks(ConvSpec spec, int max, long l1) {
    int mb = spec.outBlocks();
    if (FORCED_BLOCKS > 0) {
      return Math.min(Math.min(FORCED_BLOCKS, max), mb);
    }
    ConvGeometry g = spec.geometry();
    long rows = (spec.outHeight() - 1L) * g.strideH() + (g.kernelH() - 1) * g.dilationH() + 1;
    long cols = (spec.outWidth() - 1L) * g.strideW() + (g.kernelW() - 1) * g.dilationW() + 1;
    long plane = 4L * rows * cols * spec.block();
    long perBlock = 4L * g.kernelH() * g.kernelW() * spec.block() * spec.block();
    int v = Math.min(max, mb);
    // A plane over half of L1 streams from L2 whatever V is (stride 2 reads 29^2 pixels for a
    // 14^2 output): keep the widest microkernel, as the clipped kernel does.
    while (v > 1 && plane <= l1 / 2 && v * perBlock + plane > l1 * 7 / 8) {
      v--;
    }
    return v;
  }

  /**
   * Generates the methods of one convolution and returns its entry point, called as
   * {@code name(x, xo, w, wo, y, yo, [addend, addendOffset]..., executor)}.
   */
  public String generate(ConvSpec spec, EpilogueCode epilogue) {
    if (take == null) {
      shared();
    }
    return new One(spec, epilogue).entry();
  }

  private void shared() {
    take = methodNames.newName("convTake");
    give = methodNames.newName("convGive");
    methods.add(dev.kiln.codegen.emit.ScratchPoolCode.take(take, POOL));
    methods.add(dev.kiln.codegen.emit.ScratchPoolCode.give(give, POOL));
  }

  /** The methods of one convolution. */
  private final class One {
    final ConvSpec spec;
    final EpilogueCode epilogue;
    final ConvGeometry g;
    final int b;
    /** Lanes of one input block: b, or 1 for an NCHW input. */
    final int bi;
    /** Input lanes per step of the microkernel's inner loop. */
    final int unroll;
    final int cb;
    final int mb;
    final int kh;
    final int kw;
    final int v;
    final int groups;
    final int vLast;
    /** Valid lanes of the last output block; b when M is a multiple of b. */
    final int lastLanes;
    final int owLo;
    final int owHi;
    /**
     * Whether the kernel reads a zero-bordered copy of x ({@code %x} padded to every row and column
     * a tap reaches): no border pixels, no clipped taps, every row whole microkernels.
     */
    final boolean bordered;
    /** Rows and columns of the image the kernel reads (the bordered copy's, or x's), and its pads. */
    final int inH;
    final int inW;
    final long padT;
    final long padL;
    /** Output rows per task, and tasks per (image, group). */
    final int rowsPerTask;
    final int rowTasks;
    /** Input-channel blocks per pass over a task's rows: their weights stay in L1. */
    final int chunk;
    /**
     * Whether the microkernels run over the task's pixels as one sequence, row after row, rather
     * than row by row: a bordered input (no clipped pixel; {@link #PLANE}). A 7-wide row of
     * 512@7^2 is otherwise a 4- and a 3-pixel microkernel (16 and 12 of the 24 accumulators a
     * 4-block microkernel holds); as one sequence its 49 pixels are 9 microkernels of 6 and 5
     * (ConvBench: 1.34 -> 1.18 ms; 256@14^2 1.15 -> 1.08). Each start column is a microkernel of
     * its own (the input offsets of its pixels, jumping to the next row, are literals).
     */
    final boolean plane;
    final Map<String, String> micros = new HashMap<>();
    /** The field of this convolution's tap offsets ({@link #tapTable}), once made. */
    String taps;

    One(ConvSpec spec, EpilogueCode epilogue) {
      this.spec = spec;
      this.epilogue = epilogue;
      this.g = spec.geometry();
      this.b = spec.block();
      this.bi = spec.inBlock();
      this.unroll = Math.min(laneUnroll, bi);
      this.cb = spec.inBlocks();
      this.mb = spec.outBlocks();
      this.kh = (int) g.kernelH();
      this.kw = (int) g.kernelW();
      this.bordered = bordered(spec);
      this.inH = bordered ? (int) ((spec.outHeight() - 1L) * g.strideH() + (kh - 1L) * g.dilationH() + 1) : spec.height();
      this.inW = bordered ? (int) ((spec.outWidth() - 1L) * g.strideW() + (kw - 1L) * g.dilationW() + 1) : spec.width();
      this.padT = bordered ? 0 : g.padTop();
      this.padL = bordered ? 0 : g.padLeft();
      this.v = bordered ? blocks(spec, maxBlocks, l1) : Math.min(maxBlocks, mb);
      this.groups = (mb + v - 1) / v;
      this.vLast = mb - (groups - 1) * v;
      this.lastLanes = (int) (g.outChannels() - (long) (mb - 1) * b);
      // Interior pixels: every kw tap inside the image.
      long lo = Math.min(spec.outWidth(), (padL + g.strideW() - 1) / g.strideW());
      long num = inW - 1 - (kw - 1) * g.dilationW() + padL;
      long hi = num < 0 ? lo : Math.min(spec.outWidth(), num / g.strideW() + 1);
      this.owLo = (int) lo;
      this.owHi = (int) Math.max(lo, hi);
      // A task covers several rows, so that the weights of a chunk are reused over all of them;
      // at least 8 tasks when there are enough rows, for the threads.
      int images = spec.batch() * groups;
      int oh = spec.outHeight();
      this.rowsPerTask = images >= 8 ? oh : (oh + (8 + images - 1) / images - 1) / ((8 + images - 1) / images);
      this.rowTasks = (oh + rowsPerTask - 1) / rowsPerTask;
      long chunkBytes = 4L * v * kh * kw * bi * b;
      // An NCHW input (one lane per input block) has few channels: all of them in one pass, since
      // every further pass reloads and stores the output rows (3 passes over ResNet's conv1
      // output, 3.2 MB, cost more than its 37 KB of weights missing L1).
      this.chunk = FORCED_CHUNK > 0 ? Math.min(FORCED_CHUNK, cb)
          : bi == 1 ? cb : (int) Math.max(1, Math.min(cb, l1 * 2 / 3 / chunkBytes));
      this.plane = bordered && PLANE;
    }

    String entry() {
      String pack = spec.packedWeights() ? null : packMethod();
      Map<Local, String> names = PointwiseConv.epilogueNames(spec);
      Optional<CodeBlock> vector = epilogue.vector(names, S);
      String rows;
      int tasks;
      PointwiseConv pw = null;
      if (POINTWISE && PointwiseConv.applies(spec, vector)) {
        pw = new PointwiseConv(spec, vector, epilogue.operations(), names, l2, maxBlocks, methodNames, methods);
        rows = pw.tasksMethod();
        tasks = pw.tasksPerRange() * pw.pixelRanges();
      } else {
        rows = rowsMethod();
        tasks = spec.batch() * groups * rowTasks;
      }
      String name = methodNames.newName("conv");
      MethodSpec.Builder m = MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("Blocked direct convolution $L, $L x $L -> $L x $L, batch $L$L.\n", g, spec.height(),
              spec.width(), spec.outHeight(), spec.outWidth(), spec.batch(),
              spec.packedWeights() ? ", weights prepacked" : "")
          .addParameter(float[].class, "x").addParameter(int.class, "xo")
          .addParameter(float[].class, "w").addParameter(int.class, "wo")
          .addParameter(float[].class, "y").addParameter(int.class, "yo");
      addendParameters(m);
      m.addParameter(EXECUTOR, "par");
      CodeBlock.Builder c = CodeBlock.builder();
      long size = spec.packedWeightSize();
      if (spec.packedWeights()) {
        c.addStatement("final float[] wp = w");
        c.addStatement("final int wpo = wo");
      } else {
        c.addStatement("final float[] wp = $L($L)", take, size);
        c.addStatement("final int wpo = 0");
        c.addStatement("$L(w, wo, wp)", pack);
      }
      if (bordered) {
        c.addStatement("final float[] xb = $L($L)", take, (long) spec.batch() * cb * inH * inW * b);
        c.addStatement("$L(x, xo, xb)", borderMethod());
      }
      StringBuilder args = new StringBuilder(bordered ? "xb, 0, wp, wpo, y, yo" : "x, xo, wp, wpo, y, yo");
      for (int a = 0; a < spec.addends().size(); a++) {
        if (spec.addends().get(a).perChannel()) {
          // Padded to whole blocks with zeros, so pad lanes see a zero bias.
          c.addStatement("final float[] p$L = new float[$L]", a, (long) mb * b);
          c.addStatement("$T.arraycopy(x$L, xo$L, p$L, 0, $L)", System.class, a, a, a, g.outChannels());
          args.append(", p").append(a).append(", 0");
        } else {
          args.append(", x").append(a).append(", xo").append(a);
        }
      }
      // A pointwise kernel that splits the pixels of an image on one thread splits them into as
      // many ranges rounded up to a multiple of the threads, so that each thread's share of the
      // tasks is an equal share of the pixels. One with a single range (8 or more groups: a small
      // plane, most bytes in the weights) stays split by groups: each group's weights are then
      // read by one thread only.
      String serial = pw == null ? "" : pw.pixelRanges() + ", ";
      if (2 * spec.macs() >= PARALLEL_FLOPS) {
        c.beginControlFlow("if (par.threads() > 1)");
        if (pw == null || pw.pixelRanges() == 1) {
          c.addStatement("par.forRange($L, ($T) (lo, hi) -> $L($L, $Llo, hi))", tasks, RANGE_TASK, rows, args, serial);
        } else {
          c.addStatement("final int ranges = $T.parts($L, par.threads())", BALANCED_SPLIT, pw.pixelRanges());
          c.addStatement("par.forRange($L * ranges, ($T) (lo, hi) -> $L($L, ranges, lo, hi))", pw.tasksPerRange(),
              RANGE_TASK, rows, args);
        }
        c.nextControlFlow("else");
        c.addStatement("$L($L, $L0, $L)", rows, args, serial, tasks);
        c.endControlFlow();
      } else {
        c.addStatement("$L($L, $L0, $L)", rows, args, serial, tasks);
      }
      if (!spec.packedWeights()) {
        c.addStatement("$L(wp)", give);
      }
      if (bordered) {
        c.addStatement("$L(xb)", give);
      }
      methods.add(m.addCode(c.build()).build());
      return name;
    }

    private void addendParameters(MethodSpec.Builder m) {
      ConvGenerator.addendParameters(m, spec, "xo");
    }

    /**
     * x into its zero-bordered copy {@code xb [N, Cb, inH, inW, b]}: row r, column c of xb is x's
     * (r - padTop, c - padLeft), 0 outside x. Whole rows by arraycopy and fill.
     */
    private String borderMethod() {
      String name = methodNames.newName("convBorder");
      int h = spec.height();
      int w = spec.width();
      long pt = g.padTop();
      long pl = g.padLeft();
      int rLo = (int) Math.min(pt, inH);
      int rHi = (int) Math.min(inH, pt + h);
      int cLo = (int) Math.min(pl, inW);
      int cHi = (int) Math.min(inW, pl + w);
      long rowB = (long) inW * b;
      CodeBlock.Builder k = CodeBlock.builder();
      k.beginControlFlow("for (int i = 0; i < $L; i++)", spec.batch() * cb);
      k.addStatement("final int xi = xo + i * $L", (long) h * w * b);
      k.addStatement("final int bi = i * $L", (long) inH * rowB);
      if (rLo > 0) {
        k.addStatement("$T.fill(xb, bi, bi + $L, 0f)", java.util.Arrays.class, rLo * rowB);
      }
      if (rHi > rLo) {
        k.beginControlFlow("for (int r = $L; r < $L; r++)", rLo, rHi);
        k.addStatement("final int d = bi + r * $L", rowB);
        if (cLo > 0) {
          k.addStatement("$T.fill(xb, d, d + $L, 0f)", java.util.Arrays.class, (long) cLo * b);
        }
        if (cHi > cLo) {
          k.addStatement("$T.arraycopy(x, xi + (r - $L) * $L + $L, xb, d + $L, $L)", System.class, pt, (long) w * b,
              (cLo - pl) * b, (long) cLo * b, (long) (cHi - cLo) * b);
        }
        if (cHi < inW) {
          k.addStatement("$T.fill(xb, d + $L, d + $L, 0f)", java.util.Arrays.class, (long) cHi * b, rowB);
        }
        k.endControlFlow();
      }
      if (rHi < inH) {
        k.addStatement("$T.fill(xb, bi + $L, bi + $L, 0f)", java.util.Arrays.class, Math.max(rHi, rLo) * rowB,
            inH * rowB);
      }
      k.endControlFlow();
      methods.add(MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("x into its zero-bordered copy xb, $L x $L per channel block.\n", inH, inW)
          .addParameter(float[].class, "x").addParameter(int.class, "xo").addParameter(float[].class, "xb")
          .addCode(k.build()).build());
      return name;
    }

    /** ONNX-order weights into the packed layout, zeros in pad lanes. */
    private String packMethod() {
      String name = methodNames.newName("convPack");
      long c = g.channels();
      CodeBlock.Builder k = CodeBlock.builder();
      k.addStatement("$T.fill(wp, 0, $L, 0f)", java.util.Arrays.class, spec.packedWeightSize());
      k.beginControlFlow("for (int o = 0; o < $L; o++)", g.outChannels());
      k.beginControlFlow("for (int i = 0; i < $L; i++)", c);
      k.addStatement("final int s = wo + (o * $L + i) * $L", c, kh * kw);
      k.addStatement("final int d = ((o / $L) * $L + i / $L) * $L + (i % $L) * $L + o % $L", b, cb, bi,
          (long) kh * kw * bi * b, bi, b, b);
      k.beginControlFlow("for (int t = 0; t < $L; t++)", kh * kw);
      k.addStatement("wp[d + t * $L] = w[s + t]", bi * b);
      k.endControlFlow();
      k.endControlFlow();
      k.endControlFlow();
      methods.add(MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addParameter(float[].class, "w").addParameter(int.class, "wo").addParameter(float[].class, "wp")
          .addCode(k.build()).build());
      return name;
    }

    /**
     * Tasks [lo, hi) of (n, group, rows): per chunk of input-channel blocks, every row of the task
     * (the first chunk starts the sums, the last applies the epilogue).
     */
    private String rowsMethod() {
      String name = methodNames.newName("convRows");
      MethodSpec.Builder m = MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addParameter(float[].class, "x").addParameter(int.class, "xo")
          .addParameter(float[].class, "w").addParameter(int.class, "wo")
          .addParameter(float[].class, "y").addParameter(int.class, "yo");
      addendParameters(m);
      m.addParameter(int.class, "lo").addParameter(int.class, "hi");
      long inImage = (long) cb * inH * inW * bi;
      long inRow = (long) inW * bi;
      long outRow = (long) spec.outWidth() * b;
      CodeBlock.Builder c = CodeBlock.builder();
      c.beginControlFlow("for (int t = lo; t < hi; t++)");
      c.addStatement("final int rt = t % $L", rowTasks);
      c.addStatement("final int r = t / $L", rowTasks);
      c.addStatement("final int g = r % $L", groups);
      c.addStatement("final int n = r / $L", groups);
      c.addStatement("final int oh0 = rt * $L", rowsPerTask);
      c.addStatement("final int oh1 = $T.min($L, oh0 + $L)", MATH, spec.outHeight(), rowsPerTask);
      c.addStatement("final int yg = yo + (n * $L + g * $L) * $L", mb, v, (long) spec.outHeight() * outRow);
      c.addStatement("final int wg = wo + g * $L", (long) v * cb * kh * kw * bi * b);
      for (int a = 0; a < spec.addends().size(); a++) {
        if (spec.addends().get(a).perChannel()) {
          c.addStatement("final int xg$L = xo$L + g * $L", a, a, v * b);
        } else {
          c.addStatement("final int xg$L = xo$L + yg - yo", a, a);
        }
      }
      c.beginControlFlow("for (int icb = 0; icb < $L; icb += $L)", cb, chunk);
      c.addStatement("final int icbN = $T.min($L, $L - icb)", MATH, chunk, cb);
      c.addStatement("final boolean first = icb == 0");
      c.addStatement("final boolean last = icb + icbN == $L", cb);
      c.addStatement("final int wc = wg + icb * $L", (long) kh * kw * bi * b);
      if (plane) {
        c.addStatement("final int xr = xo + n * $L + icb * $L + oh0 * $L", inImage, (long) inH * inW * bi,
            g.strideH() * inRow);
        c.addStatement("final int yr = yg + oh0 * $L", outRow);
        byGroupWidth(c, groups, v, vLast, lastLanes < b, this::planeRows);
        c.endControlFlow();
        c.endControlFlow();
        methods.add(m.addCode(c.build()).build());
        return name;
      }
      c.beginControlFlow("for (int oh = oh0; oh < oh1; oh++)");
      c.addStatement("final int ih0 = oh * $L - $L", g.strideH(), padT);
      c.addStatement("final int khLo = ih0 >= 0 ? 0 : (-ih0 + $L) / $L", g.dilationH() - 1, g.dilationH());
      c.addStatement("final int khHi = $T.min($L, ($L - ih0 + $L) / $L)", MATH, kh, inH,
          g.dilationH() - 1, g.dilationH());
      c.addStatement("final int xr = xo + n * $L + icb * $L + ih0 * $L", inImage,
          (long) inH * inW * bi, inRow);
      c.addStatement("final int yr = yg + oh * $L", outRow);
      for (int a = 0; a < spec.addends().size(); a++) {
        if (spec.addends().get(a).perChannel()) {
          c.addStatement("final int xr$L = xg$L", a, a);
        } else {
          c.addStatement("final int xr$L = xg$L + oh * $L", a, a, outRow);
        }
      }
      byGroupWidth(c, groups, v, vLast, lastLanes < b, this::row);
      c.endControlFlow();
      c.endControlFlow();
      c.endControlFlow();
      methods.add(m.addCode(c.build()).build());
      return name;
    }

    /**
     * The rows [oh0, oh1) of {@code vv} blocks as one sequence of pixels ({@link #plane}): near-equal
     * microkernels over it, then, after the last chunk, the epilogue row by row. A task has
     * {@link #rowsPerTask} rows but the last one of an image may have fewer: a sequence for each.
     */
    private void planeRows(CodeBlock.Builder c, int vv, boolean masked) {
      int lastRows = spec.outHeight() - (rowTasks - 1) * rowsPerTask;
      if (lastRows != rowsPerTask) {
        c.beginControlFlow("if (oh1 - oh0 == $L)", rowsPerTask);
        pieces(c, rowsPerTask * spec.outWidth(), vv);
        c.nextControlFlow("else");
        pieces(c, lastRows * spec.outWidth(), vv);
        c.endControlFlow();
      } else {
        pieces(c, rowsPerTask * spec.outWidth(), vv);
      }
      c.beginControlFlow("if (last)");
      c.beginControlFlow("for (int oh = oh0; oh < oh1; oh++)");
      StringBuilder addends = new StringBuilder();
      for (int a = 0; a < spec.addends().size(); a++) {
        addends.append(", x").append(a).append(", xg").append(a);
        if (!spec.addends().get(a).perChannel()) {
          addends.append(" + oh * ").append(spec.outWidth() * (long) b);
        }
      }
      c.addStatement("$L(y, yg + oh * $L$L)", epilogueMethod(vv, masked), (long) spec.outWidth() * b, addends);
      c.endControlFlow();
      c.endControlFlow();
    }

    /** Microkernels over {@code count} pixels from the task's first, at most P each, near-equal. */
    private void pieces(CodeBlock.Builder c, int count, int vv) {
      int p = pixels(vv);
      int n = (count + p - 1) / p;
      int base = count / n;
      int wide = count % n;
      int at = 0;
      for (int k = 0; k < n; k++) {
        int len = k < wide ? base + 1 : base;
        long[] offsets = new long[len];
        for (int i = 0; i < len; i++) {
          offsets[i] = pixelOffset(at + i) - pixelOffset(at);
        }
        c.addStatement("$L(x, xr + $L, w, wc, y, yr + $L, 0, $L, 0, $L, icbN, first)", micro(offsets, vv, FLAT_TAPS),
            pixelOffset(at), (long) at * b, kh, kw);
        at += len;
      }
    }

    /** The input offset of the task's pixel {@code k} (row-major) from its first one's. */
    private long pixelOffset(int k) {
      int ow = spec.outWidth();
      return (long) (k / ow) * g.strideH() * inW * bi + (long) (k % ow) * g.strideW() * bi;
    }

    /** One output row of {@code vv} blocks: left border, interior P at a time, right border. */
    private void row(CodeBlock.Builder c, int vv, boolean masked) {
      int p = pixels(vv);
      int interior = owHi - owLo;
      if (owLo > 0) {
        c.beginControlFlow("for (int ow = 0; ow < $L; ow++)", owLo);
        border(c, vv, masked);
        c.endControlFlow();
      }
      if (interior > 0) {
        // ceil(interior / p) microkernels of near-equal width (two widths at most), rather than
        // full ones and one narrow remainder, whose few pixels per weight load run load-bound.
        int n = (interior + p - 1) / p;
        int base = interior / n;
        int wide = interior % n;
        int at = owLo;
        for (int[] part : new int[][] {{base + 1, wide}, {base, n - wide}}) {
          if (part[1] == 0) {
            continue;
          }
          String micro = rowMicro(part[0], vv);
          int end = at + part[0] * part[1];
          if (part[1] == 1) {
            c.beginControlFlow("");
            c.addStatement("final int ow = $L", at);
          } else {
            c.beginControlFlow("for (int ow = $L; ow < $L; ow += $L)", at, end, part[0]);
          }
          call(c, micro, "xr + (ow * $L - $L) * $L", "ow", "0", String.valueOf(kw), g.strideW(), padL, bi);
          c.endControlFlow();
          at = end;
        }
      }
      if (owHi < spec.outWidth()) {
        c.beginControlFlow("for (int ow = $L; ow < $L; ow++)", owHi, spec.outWidth());
        border(c, vv, masked);
        c.endControlFlow();
      }
      StringBuilder addends = new StringBuilder();
      for (int a = 0; a < spec.addends().size(); a++) {
        addends.append(", x").append(a).append(", xr").append(a);
      }
      c.beginControlFlow("if (last)");
      c.addStatement("$L(y, yr$L)", epilogueMethod(vv, masked), addends);
      c.endControlFlow();
    }

    /**
     * The epilogue over one finished output row of {@code vv} blocks while it is in L1 (a
     * separate method keeps the microkernel small enough for C1, see the constructor); lanes past
     * M of a masked last block get 0.
     */
    private String epilogueMethod(int vv, boolean masked) {
      String key = "epi" + vv + (masked ? "m" : "");
      String known = micros.get(key);
      if (known != null) {
        return known;
      }
      String name = methodNames.newName("convEpilogue" + vv);
      micros.put(key, name);
      long outPlane = (long) spec.outHeight() * spec.outWidth() * b;
      Map<Local, String> names = new LinkedHashMap<>();
      names.put(spec.acc(), "eAcc");
      for (int a = 0; a < spec.addends().size(); a++) {
        names.put(spec.addends().get(a).local(), "eX" + a);
      }
      Optional<CodeBlock> vector = epilogue.vector(names, S);
      CodeBlock.Builder c = CodeBlock.builder();
      for (int j = 0; j < vv; j++) {
        boolean maskThis = masked && j == vv - 1;
        if (spec.plainEpilogue() && !maskThis) {
          continue;
        }
        c.beginControlFlow("for (int i = 0; i < $L; i++)", spec.outWidth());
        c.addStatement("final int e = yi + $L + i * $L", j * outPlane, b);
        if (vector.isPresent() || spec.plainEpilogue()) {
          c.addStatement("final $T eAcc = $T.fromArray($L, y, e)", FV, FV, S);
          for (int a = 0; a < spec.addends().size(); a++) {
            Stmt.ConvAddend ad = spec.addends().get(a);
            c.addStatement("final $T eX$L = $T.fromArray($L, x$L, xi$L + $L)", FV, a, FV, S, a, a,
                ad.perChannel() ? CodeBlock.of("$L", j * b) : CodeBlock.of("e - yi"));
          }
          CodeBlock value = spec.plainEpilogue() ? CodeBlock.of("eAcc") : vector.get();
          if (maskThis) {
            c.addStatement("$T.zero($L).blend($L, $L.indexInRange(0, $L)).intoArray(y, e)", FV, S, value, S,
                lastLanes);
          } else {
            c.addStatement("($L).intoArray(y, e)", value);
          }
        } else {
          c.beginControlFlow("for (int q = 0; q < $L; q++)", maskThis ? lastLanes : b);
          c.addStatement("final float eAcc = y[e + q]");
          for (int a = 0; a < spec.addends().size(); a++) {
            Stmt.ConvAddend ad = spec.addends().get(a);
            c.addStatement("final float eX$L = x$L[xi$L + $L + q]", a, a, a,
                ad.perChannel() ? CodeBlock.of("$L", j * b) : CodeBlock.of("e - yi"));
          }
          c.addStatement("y[e + q] = $L", epilogue.scalar(names));
          c.endControlFlow();
          if (maskThis) {
            c.addStatement("$T.fill(y, e + $L, e + $L, 0f)", java.util.Arrays.class, lastLanes, b);
          }
        }
        c.endControlFlow();
      }
      MethodSpec.Builder m = MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("The epilogue on one output row of $L blocks at y[yi].\n", vv)
          .addParameter(float[].class, "y").addParameter(int.class, "yi");
      for (int a = 0; a < spec.addends().size(); a++) {
        m.addParameter(float[].class, "x" + a).addParameter(int.class, "xi" + a);
      }
      methods.add(m.addCode(c.build()).build());
      return name;
    }

    /** A pixel with some kw taps outside the image: the one-pixel kernel over the clipped taps. */
    private void border(CodeBlock.Builder c, int vv, boolean masked) {
      String micro = micro(new long[] {0}, vv, false);
      c.addStatement("final int iw0 = ow * $L - $L", g.strideW(), padL);
      c.addStatement("final int kwLo = iw0 >= 0 ? 0 : (-iw0 + $L) / $L", g.dilationW() - 1, g.dilationW());
      c.addStatement("final int kwHi = $T.min($L, ($L - iw0 + $L) / $L)", MATH, kw, inW,
          g.dilationW() - 1, g.dilationW());
      call(c, micro, "xr + iw0 * $L", "ow", "kwLo", "kwHi", bi);
    }

    private void call(CodeBlock.Builder c, String micro, String xIndex, String ow, String kwLo, String kwHi,
        Object... xArgs) {
      CodeBlock xi = CodeBlock.of(xIndex, xArgs);
      StringBuilder addends = new StringBuilder();
      for (int a = 0; a < spec.addends().size(); a++) {
        addends.append(", x").append(a).append(", xr").append(a);
        if (!spec.addends().get(a).perChannel()) {
          addends.append(" + ").append(ow).append(" * ").append(b);
        }
      }
      c.addStatement("$L(x, $L, w, wc, y, yr + $L * $L, khLo, khHi, $L, $L, icbN, first)", micro, xi,
          ow, b, kwLo, kwHi);
    }

    /** The p x vv register block over p pixels of one row, every kw tap (memoized per convolution). */
    private String rowMicro(int p, int vv) {
      long[] offsets = new long[p];
      for (int i = 0; i < p; i++) {
        offsets[i] = (long) i * g.strideW() * bi;
      }
      return micro(offsets, vv, FLAT_TAPS);
    }

    /**
     * The static table of the input offset of step s = icb * T + (kh * KW + kw) * bi + l (T =
     * KH * KW * bi steps per input block, icb < {@link #chunk}) of a flat microkernel from its
     * pixel's first input; the weights of step s are at s * b.
     */
    private String tapTable() {
      if (taps == null) {
        taps = methodNames.newName("convTaps");
        StringBuilder init = new StringBuilder();
        int steps = kh * kw * bi;
        long imagePlane = (long) inH * inW * bi;
        for (int s = 0; s < chunk * steps; s++) {
          int t = s % steps;
          long off = s / steps * imagePlane + (long) (t / (kw * bi)) * g.dilationH() * inW * bi
              + (long) ((t / bi) % kw) * g.dilationW() * bi + t % bi;
          init.append(s == 0 ? "" : ", ").append(off);
        }
        tables.add(FieldSpec.builder(int[].class, taps, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
            .initializer("{$L}", init).build());
      }
      return taps;
    }

    /**
     * The register block of vv output blocks over pixels whose inputs are at {@code offsets}
     * from the first's and whose outputs follow each other (memoized per convolution).
     */
    private String micro(long[] offsets, int vv, boolean flat) {
      int p = offsets.length;
      String key = java.util.Arrays.toString(offsets) + "x" + vv + (flat ? "f" : "");
      String known = micros.get(key);
      if (known != null) {
        return known;
      }
      String name = methodNames.newName("convMicro" + p + "x" + vv);
      micros.put(key, name);
      long imagePlane = (long) inH * inW * bi;
      long wBlock = (long) cb * kh * kw * bi * b;
      long outPlane = (long) spec.outHeight() * spec.outWidth() * b;
      CodeBlock.Builder c = CodeBlock.builder();
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < vv; j++) {
          c.addStatement("$T c$L_$L = first ? $T.zero($L) : $T.fromArray($L, y, yi + $L)", FV, i, j, FV, S, FV, S,
              j * outPlane + (long) i * b);
        }
      }
      boolean allSteps = flat && chunk > 1 && CHUNK_STEPS;
      if (allSteps) {
        // Every tap of every input block of the chunk (rows kh all inside the image): one loop
        // over the chunk's steps, not a loop per block around the loop over its steps (C2 moved
        // the accumulators through the stack between the two: the first convolution of an image
        // network, 3 input channels of 9 or 49 steps each).
        c.beginControlFlow("if (khLo == 0 && khHi == $L)", kh);
        c.beginControlFlow("for (int s = 0, sEnd = icbN * $L; s < sEnd; s++)", kh * kw * bi);
        step(c, "xi + " + tapTable() + "[s]", "wi + s * " + b, offsets, vv, wBlock);
        c.endControlFlow();
        c.nextControlFlow("else");
      }
      c.beginControlFlow("for (int icb = 0; icb < icbN; icb++)");
      c.addStatement("final int xc = xi + icb * $L", imagePlane);
      c.addStatement("final int wc = wi + icb * $L", (long) kh * kw * bi * b);
      if (flat) {
        flatSteps(c, offsets, vv, wBlock);
      } else {
        nestedSteps(c, offsets, vv, wBlock);
      }
      c.endControlFlow();
      if (allSteps) {
        c.endControlFlow();
      }
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < vv; j++) {
          c.addStatement("c$L_$L.intoArray(y, yi + $L)", i, j, j * outPlane + (long) i * b);
        }
      }
      MethodSpec.Builder m = MethodSpec.methodBuilder(name)
          .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("$L pixels x $L output blocks, $L, icbN input\n"
              + "blocks; the first chunk starts the sums.\n", p, vv,
              flat && plane && LITERAL_STEPS ? "every tap (the bordered plane: the four bounds unused), one loop over the steps"
                  : flat ? "taps kh in [khLo, khHi), every kw tap (kwLo and kwHi unused), one loop over the steps"
                  : "taps kh in [khLo, khHi), kw in [kwLo, kwHi)")
          .addParameter(float[].class, "x").addParameter(int.class, "xi")
          .addParameter(float[].class, "w").addParameter(int.class, "wi")
          .addParameter(float[].class, "y").addParameter(int.class, "yi")
          .addParameter(int.class, "khLo").addParameter(int.class, "khHi")
          .addParameter(int.class, "kwLo").addParameter(int.class, "kwHi")
          .addParameter(int.class, "icbN").addParameter(boolean.class, "first");
      methods.add(m.addCode(c.build()).build());
      return name;
    }

    /**
     * One input block's steps t = (kh, kw, lane) of the rows kh in [khLo, khHi) as one loop,
     * every kw tap: the weights of step t at {@code wc + t * b}, its input at {@code xc + table[t]}.
     */
    private void flatSteps(CodeBlock.Builder c, long[] offsets, int vv, long wBlock) {
      // Every kw tap (interior pixels): the taps of rows [khLo, khHi) are steps
      // [khLo * KW * bi, khHi * KW * bi), their weights contiguous, one loop. Over the bordered
      // plane every call has all rows (planeRows): a literal trip count.
      if (plane && LITERAL_STEPS) {
        c.beginControlFlow("for (int t = 0; t < $L; t++)", kh * kw * bi);
      } else {
        c.beginControlFlow("for (int t = khLo * $L, tEnd = khHi * $L; t < tEnd; t++)", kw * bi, kw * bi);
      }
      step(c, "xc + " + tapTable() + "[t]", "wc + t * " + b, offsets, vv, wBlock);
      c.endControlFlow();
    }

    /** One step: V weight vectors at {@code wk}, a broadcast of x at {@code xk} + each pixel's offset, the fmas. */
    private void step(CodeBlock.Builder c, String xk, String wk, long[] offsets, int vv, long wBlock) {
      c.addStatement("final int xk = $L", xk);
      c.addStatement("final int wk = $L", wk);
      for (int j = 0; j < vv; j++) {
        c.addStatement("final $T w$L = $T.fromArray($L, w, wk + $L)", FV, j, FV, S, j * wBlock);
      }
      for (int i = 0; i < offsets.length; i++) {
        c.addStatement("final $T a$L = $T.broadcast($L, x[xk + $L])", FV, i, FV, S, offsets[i]);
        for (int j = 0; j < vv; j++) {
          c.addStatement("c$L_$L = a$L.fma(w$L, c$L_$L)", i, j, i, j, i, j);
        }
      }
    }

    /** One input block's taps as the loops kh, kw, lane (kw clipped: the border pixels). */
    private void nestedSteps(CodeBlock.Builder c, long[] offsets, int vv, long wBlock) {
      int p = offsets.length;
      c.beginControlFlow("for (int kh = khLo; kh < khHi; kh++)");
      c.addStatement("final int xh = xc + kh * $L", g.dilationH() * inW * bi);
      c.addStatement("final int wh = wc + kh * $L", (long) kw * bi * b);
      c.beginControlFlow("for (int kw = kwLo; kw < kwHi; kw++)");
      c.addStatement("final int xk = xh + kw * $L", g.dilationW() * bi);
      c.addStatement("final int wk = wh + kw * $L", bi * b);
      if (bi > 1) {
        c.beginControlFlow("for (int l = 0; l < $L; l += $L)", bi, unroll);
      } else {
        // One input lane (NCHW input): no lane loop.
        c.beginControlFlow("");
        c.addStatement("final int l = 0");
      }
      for (int u = 0; u < unroll; u++) {
        c.beginControlFlow("");
        for (int j = 0; j < vv; j++) {
          c.addStatement("final $T w$L = $T.fromArray($L, w, wk + (l + $L) * $L + $L)", FV, j, FV, S, u, b,
              j * wBlock);
        }
        for (int i = 0; i < p; i++) {
          c.addStatement("final $T a$L = $T.broadcast($L, x[xk + l + $L])", FV, i, FV, S, offsets[i] + u);
          for (int j = 0; j < vv; j++) {
            c.addStatement("c$L_$L = a$L.fma(w$L, c$L_$L)", i, j, i, j, i, j);
          }
        }
        c.endControlFlow();
      }
      c.endControlFlow();
      c.endControlFlow();
      c.endControlFlow();
    }
  }
}
