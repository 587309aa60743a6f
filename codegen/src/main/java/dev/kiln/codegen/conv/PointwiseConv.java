package dev.kiln.codegen.conv;

import static dev.kiln.codegen.conv.ConvGenerator.BALANCED_SPLIT;
import static dev.kiln.codegen.conv.ConvGenerator.FV;
import static dev.kiln.codegen.conv.ConvGenerator.MATH;
import static dev.kiln.codegen.conv.ConvGenerator.S;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.lang.model.element.Modifier;

/**
 * The pointwise convolution (1x1, stride 1, no padding, blocked input) of the
 * {@link ConvGenerator}: the H x W plane is one run of pixels (no rows, no borders, no taps), so
 *
 * <pre>
 * parallel over (range of pixels, image n, group of V output-channel blocks), per range:
 *   tiles of pixels (the whole range when every input block fits one chunk), per chunk of
 *   input-channel blocks (all of them unless their weights overflow half of L2), P pixels at a
 *   time: microkernel P x V
 *     for each input block, each valid input lane l (pad lanes of a partial last block skipped):
 *       load the V weight vectors of l, broadcast x of each pixel at lane l, fma
 *     one chunk and a short per-channel epilogue (bias, Clip): the epilogue on the accumulators,
 *     then one store; else the store, and after the last chunk the epilogue (bias, residual,
 *     activation) as a pass over the stored tile while it is in L1 ({@link #inRegisters})
 * </pre>
 *
 * Pixel ranges are the outermost task index, so that a contiguous share of the tasks (what a
 * thread of {@code ParallelExecutor.forRange} runs) holds every group: groups of unequal width
 * (6 blocks = 4 + 2) would else give one thread twice the work of the other. The number of blocks
 * per group is balanced for the same reason (6 blocks: 3 + 3).
 */
final class PointwiseConv {
  /**
   * Whether a group narrower than the others ({@link #widths}) runs what is left of a range in
   * one microkernel of the ranges' step rather than one pixel at a time: true, or
   * {@code -Dkiln.conv.pointwiseRemainder=false} (A/B). A one-pixel microkernel loads V weight
   * vectors for V fmas (load-bound); the narrower group has a wider P (2 blocks: 12 pixels) than
   * the ranges' step (4 blocks: 6), so 160 output channels (4 + 4 + 2 blocks) at 7² ran 6 of each
   * 18-pixel range of their last group one pixel at a time.
   */
  static final boolean REMAINDER_KERNELS = !"false".equals(System.getProperty("kiln.conv.pointwiseRemainder"));
  /**
   * Whether a convolution whose input blocks are one chunk applies its epilogue to the
   * accumulators before their one store ({@link #inRegisters}): true, or
   * {@code -Dkiln.conv.pointwiseEpilogue=pass} (A/B) for the pass over the stored tile.
   */
  static final boolean EPILOGUE_IN_REGISTERS = !"pass".equals(System.getProperty("kiln.conv.pointwiseEpilogue"));
  private final ConvSpec spec;
  private final Optional<CodeBlock> vectorEpilogue;
  /** {@link dev.kiln.codegen.gemm.EpilogueCode#operations()} of the epilogue. */
  private final int epilogueOperations;
  private final Map<Local, String> names;
  private final NameAllocator methodNames;
  private final List<MethodSpec> methods;
  private final Map<String, String> micros = new HashMap<>();
  private final int b;
  private final int cb;
  private final int mb;
  private final int plane;
  private final int v;
  private final int groups;
  private final int vLast;
  private final int lastLanes;
  /** Valid lanes of the last input block. */
  private final int tailLanes;
  private final int chunk;
  /** Pixel ranges per image on one thread (on T threads: the next multiple of T). */
  private final int pixelRanges;
  /** The microkernel width of a full group: pixel ranges start on multiples of it. */
  private final int step;

  /** Whether {@code spec} is a pointwise convolution this class takes. */
  static boolean applies(ConvSpec spec, Optional<CodeBlock> vectorEpilogue) {
    ConvGeometry g = spec.geometry();
    return g.kernelH() == 1 && g.kernelW() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padTop() == 0
        && g.padLeft() == 0 && spec.inBlock() == spec.block() && spec.outHeight() == spec.height()
        && spec.outWidth() == spec.width() && (vectorEpilogue.isPresent() || spec.plainEpilogue());
  }

  PointwiseConv(ConvSpec spec, Optional<CodeBlock> vectorEpilogue, int epilogueOperations, Map<Local, String> names,
      long l2, int maxBlocks, NameAllocator methodNames, List<MethodSpec> methods) {
    this.spec = spec;
    this.vectorEpilogue = vectorEpilogue;
    this.epilogueOperations = epilogueOperations;
    this.names = names;
    this.methodNames = methodNames;
    this.methods = methods;
    ConvGeometry g = spec.geometry();
    this.b = spec.block();
    this.cb = spec.inBlocks();
    this.mb = spec.outBlocks();
    this.plane = spec.height() * spec.width();
    int fewest = (mb + maxBlocks - 1) / maxBlocks;
    this.v = (mb + fewest - 1) / fewest;
    this.groups = (mb + v - 1) / v;
    this.vLast = mb - (groups - 1) * v;
    this.lastLanes = (int) (g.outChannels() - (long) (mb - 1) * b);
    this.tailLanes = (int) (g.channels() - (long) (cb - 1) * b);
    // Every input block in one pass while a group's weights fit half of L2: each further pass
    // stores and reloads the P x V accumulators and calls the microkernel again, and with chunks
    // sized for L1 (6 blocks of 96 lanes) that cost more than streaming the weights from L2 does
    // (4 weight loads per 24 fmas): 960->320 at 7x7 took 0.175-0.192 ms in chunks of 6 blocks,
    // 0.160-0.169 in one pass (ONNX Runtime 0.157-0.172), 576->160 0.052-0.062 against 0.048-0.050.
    long chunkBytes = 4L * v * b * b;
    this.chunk = (int) Math.max(1, Math.min(cb, l2 / 2 / chunkBytes));
    // At least 8 tasks when there are enough pixels (a range's input stays in cache while every
    // group reads it), each of whole microkernels.
    int images = spec.batch() * groups;
    this.step = ConvGenerator.pixels(v);
    int wanted = images >= 8 ? 1 : (8 + images - 1) / images;
    int per = (plane + wanted - 1) / wanted;
    int perRange = Math.max(step, (per + step - 1) / step * step);
    this.pixelRanges = (plane + perRange - 1) / perRange;
  }

  /** Pixel ranges per image on one thread. */
  int pixelRanges() {
    return pixelRanges;
  }

  /** Tasks of one range of pixels: one per image and group. */
  int tasksPerRange() {
    return spec.batch() * groups;
  }

  /** The method running tasks [lo, hi); same parameters as the row method of the generator. */
  String tasksMethod() {
    String name = methodNames.newName("convPoints");
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("Pointwise convolution tasks [lo, hi) of (pixel range, image, group), the pixels split into\n"
            + "ranges equal to within a microkernel ($T).\n", BALANCED_SPLIT)
        .addParameter(float[].class, "x").addParameter(int.class, "xo")
        .addParameter(float[].class, "w").addParameter(int.class, "wo")
        .addParameter(float[].class, "y").addParameter(int.class, "yo");
    ConvGenerator.addendParameters(m, spec, "xo");
    m.addParameter(int.class, "ranges").addParameter(int.class, "lo").addParameter(int.class, "hi");
    long image = (long) cb * plane * b;
    long outPlane = (long) plane * b;
    CodeBlock.Builder c = CodeBlock.builder();
    c.beginControlFlow("for (int t = lo; t < hi; t++)");
    c.addStatement("final int pt = t / $L", spec.batch() * groups);
    c.addStatement("final int r = t % $L", spec.batch() * groups);
    c.addStatement("final int g = r % $L", groups);
    c.addStatement("final int n = r / $L", groups);
    c.addStatement("final int p0 = $T.bound($L, $L, ranges, pt)", BALANCED_SPLIT, plane, step);
    c.addStatement("final int p1 = $T.bound($L, $L, ranges, pt + 1)", BALANCED_SPLIT, plane, step);
    c.addStatement("final int yg = yo + (n * $L + g * $L) * $L", mb, v, outPlane);
    c.addStatement("final int wg = wo + g * $L", (long) v * cb * b * b);
    c.addStatement("final int xn = xo + n * $L", image);
    for (int a = 0; a < spec.addends().size(); a++) {
      if (spec.addends().get(a).perChannel()) {
        c.addStatement("final int xg$L = xo$L + g * $L", a, a, v * b);
      } else {
        c.addStatement("final int xg$L = xo$L + yg - yo", a, a);
      }
    }
    // One tile of the whole range when every input block is one chunk.
    String tile = cb <= chunk ? "p1 - p0"
        : String.valueOf(Math.max(step, (int) (16384 / (4L * v * b)) / step * step));
    c.beginControlFlow("for (int q0 = p0; q0 < p1; q0 += $L)", tile);
    c.addStatement("final int q1 = $T.min(p1, q0 + $L)", MATH, tile);
    c.beginControlFlow("for (int icb = 0; icb < $L; icb += $L)", cb, chunk);
    c.addStatement("final int icbN = $T.min($L, $L - icb)", MATH, chunk, cb);
    c.addStatement("final boolean first = icb == 0");
    c.addStatement("final boolean last = icb + icbN == $L", cb);
    c.addStatement("final int tail = last ? $L : $L", tailLanes, b);
    c.addStatement("final int wc = wg + icb * $L", b * b);
    c.addStatement("final int xc = xn + icb * $L", outPlane);
    ConvGenerator.byGroupWidth(c, groups, v, vLast, lastLanes < b, this::pixels);
    c.endControlFlow();
    c.endControlFlow();
    c.endControlFlow();
    methods.add(m.addCode(c.build()).build());
    return name;
  }

  /** Pixels [q0, q1) of {@code vv} blocks: microkernels of {@link #widths} pixels, then one at a time. */
  private void pixels(CodeBlock.Builder c, int vv, boolean masked) {
    c.addStatement("int q = q0");
    for (int p : widths(ConvGenerator.pixels(vv), step, REMAINDER_KERNELS)) {
      c.beginControlFlow("for (; q + $L <= q1; q += $L)", p, p);
      call(c, micro(p, vv, masked));
      c.endControlFlow();
    }
    c.beginControlFlow("for (; q < q1; q++)");
    call(c, micro(1, vv, masked));
    c.endControlFlow();
  }

  /**
   * The microkernel widths of a group whose own width is {@code p} pixels, in ranges that are
   * multiples of {@code step} pixels (the full groups' width) but for the last: {@code p}; or,
   * for a narrower group ({@code p > step}), {@code p} rounded down to a multiple of
   * {@code step} and then {@code step}, so that what is left of a range is one narrower
   * microkernel rather than up to {@code p - 1} single pixels (at most one extra method).
   */
  static List<Integer> widths(int p, int step, boolean remainderKernels) {
    if (!remainderKernels || p <= step) {
      return List.of(p);
    }
    int whole = p / step * step;
    return whole == step ? List.of(step) : List.of(whole, step);
  }

  private void call(CodeBlock.Builder c, String micro) {
    StringBuilder addends = new StringBuilder();
    for (int a = 0; a < spec.addends().size(); a++) {
      addends.append(", x").append(a).append(", xg").append(a);
      if (!spec.addends().get(a).perChannel()) {
        addends.append(" + q * ").append(b);
      }
    }
    c.addStatement("$L(x, xc + q * $L, w, wc, y, yg + q * $L$L, icbN, tail$L)", micro, b, b, addends,
        inRegisters() ? "" : ", first, last");
  }

  /**
   * Whether the microkernels apply the epilogue to their accumulators before the one store: when
   * every input block is one chunk (each microkernel call starts and ends its sums), the addends
   * are per channel (bias, not a residual) and the epilogue is a few operations (bias and Clip or
   * Relu). A pass over the stored tile instead (24 loads, epilogues and stores after 24 stores)
   * took a third of 16->96 at 112x112 (one input block: 384 fmas per 24 stores; 0.256-0.288 ms
   * against 0.200). Otherwise the epilogue stays a pass: written out P x V times beside the
   * loads of the accumulators of a later chunk or of a residual, it put MobileNetV2's 12 x 2 and
   * 8 x 3 microkernels over C1's virtual registers ("COMPILE SKIPPED: out of virtual registers"
   * at tier 3), and a method compiled at tier 2 before that stayed there, its vectors boxed: four
   * layers 100 times slower.
   */
  private boolean inRegisters() {
    return EPILOGUE_IN_REGISTERS && cb <= chunk && epilogueOperations <= MAX_REGISTER_EPILOGUE_OPERATIONS
        && spec.addends().stream().allMatch(Stmt.ConvAddend::perChannel);
  }

  /** The most operations of an epilogue written out per accumulator: bias, Clip, and one more. */
  static final int MAX_REGISTER_EPILOGUE_OPERATIONS = 4;

  /** The p x vv register block (memoized). */
  private String micro(int p, int vv, boolean masked) {
    String key = p + "x" + vv + (masked ? "m" : "");
    String known = micros.get(key);
    if (known != null) {
      return known;
    }
    String name = methodNames.newName("convPoint" + p + "x" + vv);
    micros.put(key, name);
    long outPlane = (long) plane * b;
    long wBlock = (long) cb * b * b;
    CodeBlock.Builder c = CodeBlock.builder();
    boolean oneChunk = inRegisters();
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < vv; j++) {
        if (oneChunk) {
          c.addStatement("$T c$L_$L = $T.zero($L)", FV, i, j, FV, S);
        } else {
          c.addStatement("$T c$L_$L = first ? $T.zero($L) : $T.fromArray($L, y, yi + $L)", FV, i, j, FV, S, FV, S,
              j * outPlane + (long) i * b);
        }
      }
    }
    c.beginControlFlow("for (int icb = 0; icb < icbN; icb++)");
    c.addStatement("final int xk = xi + icb * $L", outPlane);
    c.addStatement("final int wk = wi + icb * $L", b * b);
    // Literal trip counts, which C2 unrolls fully (a variable one ran 576->96 at half the speed);
    // the partial last input block of C % b channels has a loop of its own.
    if (tailLanes < b) {
      c.beginControlFlow("if (icb == icbN - 1 && tail < $L)", b);
      lanes(c, p, vv, tailLanes, wBlock);
      c.nextControlFlow("else");
      lanes(c, p, vv, b, wBlock);
      c.endControlFlow();
    } else {
      lanes(c, p, vv, b, wBlock);
    }
    c.endControlFlow();
    boolean epilogue = !spec.plainEpilogue() || masked;
    if (epilogue && oneChunk) {
      registerEpilogue(c, p, vv, masked);
    }
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < vv; j++) {
        c.addStatement("c$L_$L.intoArray(y, yi + $L)", i, j, j * outPlane + (long) i * b);
      }
    }
    if (epilogue && !oneChunk) {
      StringBuilder args = new StringBuilder("y, yi, " + p);
      for (int a = 0; a < spec.addends().size(); a++) {
        args.append(", x").append(a).append(", xi").append(a);
      }
      c.beginControlFlow("if (last)");
      c.addStatement("$L($L)", tileEpilogue(vv, masked), args);
      c.endControlFlow();
    }
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("$L pixels x $L output blocks over icbN input blocks (the last of them with tail lanes);\n"
            + (oneChunk ? "every input block, the epilogue on the sums before their store.\n"
                : "the first chunk starts the sums, the last applies the epilogue.\n"), p, vv)
        .addParameter(float[].class, "x").addParameter(int.class, "xi")
        .addParameter(float[].class, "w").addParameter(int.class, "wi")
        .addParameter(float[].class, "y").addParameter(int.class, "yi");
    ConvGenerator.addendParameters(m, spec, "xi");
    m.addParameter(int.class, "icbN").addParameter(int.class, "tail");
    if (!oneChunk) {
      m.addParameter(boolean.class, "first").addParameter(boolean.class, "last");
    }
    methods.add(m.addCode(c.build()).build());
    return name;
  }

  /**
   * The epilogue on the P x V accumulators in registers, before their one store: each in a block
   * of its own that names the accumulator and the addends as the epilogue expression expects.
   */
  private void registerEpilogue(CodeBlock.Builder c, int p, int vv, boolean masked) {
    for (int j = 0; j < vv; j++) {
      boolean maskThis = masked && j == vv - 1;
      if (spec.plainEpilogue() && !maskThis) {
        continue;
      }
      // Every addend is per channel here (inRegisters): one vector of block j for all pixels.
      for (int a = 0; a < spec.addends().size(); a++) {
        c.addStatement("final $T p$L_$L = $T.fromArray($L, x$L, xi$L + $L)", FV, a, j, FV, S, a, a, j * b);
      }
      for (int i = 0; i < p; i++) {
        c.add("{\n$>");
        c.addStatement("final $T $L = c$L_$L", FV, names.get(spec.acc()), i, j);
        for (int a = 0; a < spec.addends().size(); a++) {
          c.addStatement("final $T $L = p$L_$L", FV, names.get(spec.addends().get(a).local()), a, j);
        }
        CodeBlock value = spec.plainEpilogue() ? CodeBlock.of("$L", names.get(spec.acc())) : vectorEpilogue.orElseThrow();
        if (maskThis) {
          c.addStatement("c$L_$L = $T.zero($L).blend($L, $L.indexInRange(0, $L))", i, j, FV, S, value, S, lastLanes);
        } else {
          c.addStatement("c$L_$L = $L", i, j, value);
        }
        c.add("$<}\n");
      }
    }
  }

  /**
   * The epilogue over the {@code n} pixels x {@code vv} blocks a microkernel just stored (in L1),
   * as loops: applied to the accumulators in registers, written out P x V times, it made the
   * microkernel too large for C1 ("out of virtual registers": it then ran unoptimized, at 1-2
   * GFLOP/s, until C2 took it) and, as calls of a small method, too large for C2 to inline them
   * all (NodeCountInliningCutoff: vectors boxed).
   */
  private String tileEpilogue(int vv, boolean masked) {
    String key = "epi" + vv + (masked ? "m" : "");
    String known = micros.get(key);
    if (known != null) {
      return known;
    }
    String name = methodNames.newName("convPointEpilogue" + vv);
    micros.put(key, name);
    long outPlane = (long) plane * b;
    MethodSpec.Builder m = MethodSpec.methodBuilder(name)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(float[].class, "y").addParameter(int.class, "yi").addParameter(int.class, "n");
    ConvGenerator.addendParameters(m, spec, "xi");
    CodeBlock.Builder c = CodeBlock.builder();
    for (int j = 0; j < vv; j++) {
      boolean maskThis = masked && j == vv - 1;
      if (spec.plainEpilogue() && !maskThis) {
        continue;
      }
      for (int a = 0; a < spec.addends().size(); a++) {
        if (spec.addends().get(a).perChannel()) {
          c.addStatement("final $T p$L_$L = $T.fromArray($L, x$L, xi$L + $L)", FV, a, j, FV, S, a, a, j * b);
        }
      }
      c.beginControlFlow("for (int i = 0; i < n; i++)");
      c.addStatement("final int e = yi + $L + i * $L", j * outPlane, b);
      c.addStatement("final $T $L = $T.fromArray($L, y, e)", FV, names.get(spec.acc()), FV, S);
      for (int a = 0; a < spec.addends().size(); a++) {
        Stmt.ConvAddend ad = spec.addends().get(a);
        if (ad.perChannel()) {
          c.addStatement("final $T $L = p$L_$L", FV, names.get(ad.local()), a, j);
        } else {
          c.addStatement("final $T $L = $T.fromArray($L, x$L, xi$L + e - yi)", FV, names.get(ad.local()), FV, S, a, a);
        }
      }
      CodeBlock value = spec.plainEpilogue() ? CodeBlock.of("$L", names.get(spec.acc())) : vectorEpilogue.orElseThrow();
      if (maskThis) {
        c.addStatement("$T.zero($L).blend($L, $L.indexInRange(0, $L)).intoArray(y, e)", FV, S, value, S, lastLanes);
      } else {
        c.addStatement("($L).intoArray(y, e)", value);
      }
      c.endControlFlow();
    }
    methods.add(m.addCode(c.build()).build());
    return name;
  }

  /** Input lanes [0, n) of one input block: V weight loads, P broadcasts, P x V fmas each. */
  private void lanes(CodeBlock.Builder c, int p, int vv, int n, long wBlock) {
    c.beginControlFlow("for (int l = 0; l < $L; l++)", n);
    for (int j = 0; j < vv; j++) {
      c.addStatement("final $T w$L = $T.fromArray($L, w, wk + l * $L + $L)", FV, j, FV, S, b, j * wBlock);
    }
    for (int i = 0; i < p; i++) {
      c.addStatement("final $T a$L = $T.broadcast($L, x[xk + l + $L])", FV, i, FV, S, i * b);
      for (int j = 0; j < vv; j++) {
        c.addStatement("c$L_$L = a$L.fma(w$L, c$L_$L)", i, j, i, j, i, j);
      }
    }
    c.endControlFlow();
  }

  /** The names the epilogue expression uses for the accumulator and the addends. */
  static Map<Local, String> epilogueNames(ConvSpec spec) {
    Map<Local, String> names = new LinkedHashMap<>();
    names.put(spec.acc(), "eAcc");
    for (int a = 0; a < spec.addends().size(); a++) {
      names.put(spec.addends().get(a).local(), "eX" + a);
    }
    return names;
  }
}
