package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.ops.nn.SlidingWindow;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Convolution, lowered by the algorithm that suits its geometry ({@link #choose}):
 *
 * <ul>
 *   <li>{@link Algorithm#GEMM_1X1}: a 1x1, stride-1, unpadded convolution is a matrix product per
 *       image and group, {@code Y[n, g] = W[g] (Mg x Cg) * X[n, g] (Cg x H*W)}, one
 *       {@link Stmt.Matmul} reading X in place, the bias a per-row addend of its epilogue;
 *   <li>{@link Algorithm#IM2COL_GEMM}: any other convolution first copies, per image, the input
 *       into a column matrix {@code col[c, k..., o...]} (C*KK x OH*OW; a scratch buffer of the
 *       kernel) so that it too is one matrix product per group; padding is a zero-bordered copy of
 *       the image in a second scratch buffer, which leaves the column loop without conditionals
 *       (vectorized along the output width when that stride is 1);
 *   <li>{@link Algorithm#DEPTHWISE}: one input channel per group (depthwise, also with a channel
 *       multiplier) is a direct nest over the zero-bordered image without conditionals: for up to
 *       {@link #MAX_SPELLED_TAPS} taps one store of the whole sum per output (an elementwise nest,
 *       which the default schedule parallelizes and vectorizes along the output width, the sum in
 *       registers), at stride 1 in 2-D over whole padded rows ({@link #depthwiseRows}), else an
 *       accumulator loop over the taps;
 *   <li>{@link Algorithm#DIRECT}: the reference-order loop nest of {@link WindowLowerings}, with an
 *       {@code if} per padded tap, for everything else (non-f32 types, empty tensors, column
 *       matrices over 2^31 elements, and padding when W is not a compile-time constant of finite
 *       values: im2col's zeros contribute {@code 0 * w}, which is NaN for an infinite w where
 *       skipping the tap, as the reference does, is not).
 * </ul>
 *
 * <p>The GEMM and im2col kernels hold a matmul intrinsic, which schedules leave alone (code
 * generation blocks, vectorizes and parallelizes it), so this lowering chooses the kinds of their
 * copy loops itself: parallel over channels, vectorized along the last, unit-stride axis.
 */
public final class ConvLowerings {
  private ConvLowerings() {}

  /**
   * Depthwise kernels with at most this many taps (5x5 and smaller) are written as one sum
   * expression per output, so that vectorized code keeps it in registers.
   */
  static final long MAX_SPELLED_TAPS = 25;

  /** The convolution algorithms, in the order {@link #choose} tries them. */
  public enum Algorithm { DIRECT, DEPTHWISE, GEMM_1X1, IM2COL_GEMM, WINOGRAD_F2, WINOGRAD_F4 }

  /**
   * The system property that forces an algorithm on every convolution it applies to (for
   * benchmarks: {@code -Dkiln.conv.algorithm=WINOGRAD_F4}); the others keep {@link #choose}'s.
   */
  public static final String FORCE_PROPERTY = "kiln.conv.algorithm";

  /** Conv: y = conv(x, w) + b. */
  static Stmt conv(LoweringContext ctx) {
    return lower(ctx, ConvEpilogue.bias(ctx.hasInput(2) ? Optional.of(ctx.input(2)) : Optional.empty()));
  }

  /**
   * FusedConv (inputs X, W, B?, Z?): {@code y = activation(conv(x, w) + b + z)}, by the same
   * algorithms as Conv, with bias, residual and activation in the matmul epilogue (GEMM paths) or
   * in the one store of each output (depthwise).
   *
   * @param activation the activation's loop-IR expression of one element (identity for none)
   */
  public static Stmt fused(LoweringContext ctx, java.util.function.UnaryOperator<Expr> activation) {
    return fused(ctx, activation, forcedByProperty());
  }

  /** {@link #fused(LoweringContext, java.util.function.UnaryOperator)} by {@code forced} where it applies. */
  public static Stmt fused(LoweringContext ctx, java.util.function.UnaryOperator<Expr> activation,
      Optional<Algorithm> forced) {
    return lower(ctx, new ConvEpilogue(
        ctx.hasInput(2) ? Optional.of(ctx.input(2)) : Optional.empty(),
        ctx.hasInput(3) ? Optional.of(ctx.input(3)) : Optional.empty(),
        activation), forced);
  }

  /** A convolution of inputs 0 (X) and 1 (W) into output 0, followed by {@code epilogue}. */
  public static Stmt lower(LoweringContext ctx, ConvEpilogue epilogue) {
    return lower(ctx, epilogue, forcedByProperty());
  }

  /**
   * A convolution by {@code forced} when it applies to this node ({@link #applies}), else by
   * {@link #choose}'s algorithm.
   */
  public static Stmt lower(LoweringContext ctx, ConvEpilogue epilogue, Optional<Algorithm> forced) {
    Geometry g = new Geometry(ctx);
    Algorithm algorithm = forced.filter(a -> applies(ctx, g, a)).orElseGet(() -> choose(ctx, g));
    return switch (algorithm) {
      case DIRECT -> withEpiloguePass(ctx, g, WindowLowerings.conv(ctx, epilogue.bias()), epilogue);
      case DEPTHWISE -> depthwise(ctx, g, epilogue);
      case GEMM_1X1, IM2COL_GEMM -> gemm(ctx, g, epilogue);
      case WINOGRAD_F2, WINOGRAD_F4 -> WinogradConv.lower(ctx, g, ctx.constant(1).orElseThrow(),
          tile(algorithm), epilogue, ConvCostModel.PARALLEL_GEMM_FLOPS);
    };
  }

  private static WinogradConv.Tile tile(Algorithm a) {
    return a == Algorithm.WINOGRAD_F2 ? WinogradConv.Tile.F2 : WinogradConv.Tile.F4;
  }

  /** The algorithm the {@link #FORCE_PROPERTY} system property names, if any. */
  static Optional<Algorithm> forcedByProperty() {
    String name = System.getProperty(FORCE_PROPERTY, "").trim();
    if (name.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Algorithm.valueOf(name.toUpperCase(java.util.Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D" + FORCE_PROPERTY + "=" + name + " names no convolution algorithm; "
          + "one of " + Arrays.toString(Algorithm.values()), e);
    }
  }

  /** The algorithm {@link #lower} uses for this node (for tests and notes). */
  public static Algorithm choose(LoweringContext ctx) {
    return choose(ctx, new Geometry(ctx));
  }

  /**
   * Whether {@code a} can compute this convolution: DIRECT always; the others on f32 within
   * their geometry (WINOGRAD_*: 2-D, 3x3, stride 1, dilation 1, one group, constant finite
   * weights).
   */
  static boolean applies(LoweringContext ctx, Geometry g, Algorithm a) {
    if (a == Algorithm.DIRECT) {
      return true;
    }
    if (!f32AndNonEmpty(g) || (g.needsPadding && !constantAndFinite(ctx.constant(1)))) {
      return false;
    }
    return switch (a) {
      case DIRECT -> true;
      case DEPTHWISE -> g.group > 1 && g.perGroup == 1;
      case GEMM_1X1 -> g.pointwise();
      case IM2COL_GEMM -> g.channels * g.taps() * g.outputPositions() < Integer.MAX_VALUE;
      case WINOGRAD_F2, WINOGRAD_F4 -> winogradApplies(ctx, g, tile(a));
    };
  }

  private static boolean winogradApplies(LoweringContext ctx, Geometry g, WinogradConv.Tile tile) {
    if (g.rank() != 2 || g.group != 1 || g.kernel[0] != 3 || g.kernel[1] != 3) {
      return false;
    }
    for (int a = 0; a < 2; a++) {
      if (g.strides[a] != 1 || g.dilations[a] != 1) {
        return false;
      }
    }
    if (!constantAndFinite(ctx.constant(1))) {
      return false;
    }
    // Every scratch buffer indexable by an int.
    WinogradConv.Grid grid = WinogradConv.Grid.of(g.out[0], g.out[1], tile);
    double a2 = (double) tile.alpha() * tile.alpha();
    double slots = (double) g.batch * grid.slots();
    return a2 * Math.max(g.channels, g.outChannels) * slots < Integer.MAX_VALUE
        && (double) g.batch * Math.max(g.channels, g.outChannels) * tile.m * tile.m * grid.plane()
            < Integer.MAX_VALUE;
  }

  private static boolean f32AndNonEmpty(Geometry g) {
    return g.y.dtype() == DType.F32 && g.x.dtype() == DType.F32 && g.w.dtype() == DType.F32
        && g.x.size() > 0 && g.w.size() > 0 && g.y.size() > 0;
  }

  private static Algorithm choose(LoweringContext ctx, Geometry g) {
    if (g.y.dtype() != DType.F32 || g.x.dtype() != DType.F32 || g.w.dtype() != DType.F32
        || g.x.size() == 0 || g.w.size() == 0 || g.y.size() == 0) {
      return Algorithm.DIRECT;
    }
    if (g.needsPadding && !constantAndFinite(ctx.constant(1))) {
      return Algorithm.DIRECT;
    }
    if (g.group > 1 && g.perGroup == 1) {
      return Algorithm.DEPTHWISE;
    }
    if (g.pointwise()) {
      return Algorithm.GEMM_1X1;
    }
    long colElements = g.channels * g.taps() * g.outputPositions();
    Algorithm best = colElements < Integer.MAX_VALUE ? Algorithm.IM2COL_GEMM : Algorithm.DIRECT;
    double cost = best == Algorithm.IM2COL_GEMM ? ConvCostModel.im2col(g) : Double.POSITIVE_INFINITY;
    for (Algorithm w : List.of(Algorithm.WINOGRAD_F2, Algorithm.WINOGRAD_F4)) {
      if (winogradApplies(ctx, g, tile(w))) {
        double c = ConvCostModel.winograd(g, tile(w));
        if (c < cost) {
          best = w;
          cost = c;
        }
      }
    }
    return best;
  }

  private static boolean constantAndFinite(Optional<Tensor> w) {
    if (w.isEmpty()) {
      return false;
    }
    for (long i = 0; i < w.get().size(); i++) {
      if (!Double.isFinite(w.get().getDouble(i))) {
        return false;
      }
    }
    return true;
  }

  /** Shapes and window geometry of one convolution node. */
  static final class Geometry {
    final Buffer x;
    final Buffer w;
    final Buffer y;
    final long batch;
    final long channels;
    final long outChannels;
    final long group;
    final long perGroup;
    final long outPerGroup;
    final long[] kernel;
    final long[] in;
    final long[] out;
    final long[] strides;
    final long[] dilations;
    final long[] padBegin;
    /** Whether some tap reads outside the input (else the padding attributes change nothing read). */
    final boolean needsPadding;
    /** The padded image's extent along each spatial axis: padBegin + everything the taps reach. */
    final long[] padded;

    Geometry(LoweringContext ctx) {
      x = ctx.input(0);
      w = ctx.input(1);
      y = ctx.output(0);
      batch = x.dim(0);
      channels = x.dim(1);
      outChannels = w.dim(0);
      group = ctx.attrs().getInt("group", 1);
      perGroup = w.dim(1);
      outPerGroup = outChannels / group;
      kernel = Arrays.copyOfRange(w.shapeArray(), 2, w.rank());
      in = Arrays.copyOfRange(x.shapeArray(), 2, x.rank());
      SlidingWindow window = SlidingWindow.fromAttributes(ctx.attrs(), kernel, "convolution");
      SlidingWindow.Placement placement = window.place(in, 2, "input 0 (X)");
      out = placement.outputShape();
      padBegin = placement.padBegin();
      strides = new long[kernel.length];
      dilations = new long[kernel.length];
      padded = new long[kernel.length];
      boolean pad = false;
      for (int a = 0; a < kernel.length; a++) {
        strides[a] = window.stride(a);
        dilations[a] = window.dilation(a);
        long last = (out[a] - 1) * strides[a] - padBegin[a] + (kernel[a] - 1) * dilations[a];
        pad |= out[a] > 0 && (padBegin[a] > 0 || last >= in[a]);
        padded[a] = padBegin[a] + Math.max(in[a], last + 1);
      }
      needsPadding = pad;
    }

    int rank() {
      return kernel.length;
    }

    long taps() {
      return product(kernel);
    }

    long outputPositions() {
      return product(out);
    }

    /** 1x1, stride 1, no padding: the output positions are the input positions. */
    boolean pointwise() {
      for (int a = 0; a < rank(); a++) {
        if (kernel[a] != 1 || strides[a] != 1 || padBegin[a] != 0 || out[a] != in[a]) {
          return false;
        }
      }
      return true;
    }

    /** The coordinate tap {@code k} of output {@code o} reads in an image whose origin is at {@code -shift}. */
    Expr coordinate(int a, Expr o, Expr k, long shift) {
      return Exprs.add(Exprs.add(Exprs.mul(o, index(strides[a])), Exprs.mul(k, index(dilations[a]))),
          index(shift));
    }
  }

  private static long product(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  // ---- GEMM paths -------------------------------------------------------------------------

  /**
   * Per image {@code n}: (im2col only) the zero-bordered copy and the column matrix, then per group
   * {@code g} one matmul {@code Y[n, g] = W[g] * B[n, g]} with the epilogue.
   */
  private static Stmt gemm(LoweringContext ctx, Geometry g, ConvEpilogue epilogue) {
    boolean im2col = !g.pointwise();
    long k = g.perGroup * g.taps();
    long positions = g.outputPositions();
    Var n = ctx.var("n");
    Var gv = ctx.var("g");
    Buffer col = im2col ? ctx.scratch("col", DType.F32, columnShape(g)) : null;
    Optional<Buffer> image = im2col && g.needsPadding
        ? Optional.of(ctx.scratch("pad", DType.F32, paddedShape(g, false))) : Optional.empty();
    Local acc = ctx.local("acc", DType.F32);
    Local bias = ctx.local("b", DType.F32);
    Local residual = ctx.local("z", DType.F32);
    return over(n, g.batch, nExpr -> {
      List<Stmt> perImage = new ArrayList<>();
      if (im2col) {
        image.ifPresent(p -> perImage.add(padImage(ctx, g, nExpr, p, true)));
        perImage.add(columns(ctx, g, nExpr, image, col));
      }
      perImage.add(over(gv, g.group, gExpr -> {
        MatrixOperand a = new MatrixOperand(g.w, Exprs.mul(gExpr, index(g.outPerGroup * k)), k, 1);
        MatrixOperand b = im2col
            ? new MatrixOperand(col, Exprs.mul(gExpr, index(k * positions)), positions, 1)
            : new MatrixOperand(g.x, Exprs.add(Exprs.mul(nExpr, index(g.channels * positions)),
                Exprs.mul(gExpr, index(g.perGroup * positions))), positions, 1);
        Expr outOffset = Exprs.add(Exprs.mul(nExpr, index(g.outChannels * positions)),
            Exprs.mul(gExpr, index(g.outPerGroup * positions)));
        MatrixOperand c = new MatrixOperand(g.y, outOffset, positions, 1);
        ImmutableList.Builder<Stmt.Addend> addends = ImmutableList.builder();
        Expr sum = acc;
        if (epilogue.bias().isPresent()) {
          addends.add(new Stmt.Addend(bias, new MatrixOperand(epilogue.bias().get(),
              Exprs.mul(gExpr, index(g.outPerGroup)), 1, 0)));
          sum = Exprs.add(acc, bias);
        }
        Optional<Expr> z = Optional.empty();
        if (epilogue.residual().isPresent()) {
          addends.add(new Stmt.Addend(residual,
              new MatrixOperand(epilogue.residual().get(), outOffset, positions, 1)));
          z = Optional.of(residual);
        }
        return new Stmt.Matmul(a, b, c, g.outPerGroup, positions, k, acc, addends.build(),
            epilogue.afterBias(sum, z));
      }));
      return block(perImage);
    });
  }

  /** {@code [C, k0, .., o0, ..]}: row {@code (c, k...)}, column {@code (o...)} of the column matrix. */
  private static long[] columnShape(Geometry g) {
    long[] shape = new long[1 + 2 * g.rank()];
    shape[0] = g.channels;
    System.arraycopy(g.kernel, 0, shape, 1, g.rank());
    System.arraycopy(g.out, 0, shape, 1 + g.rank(), g.rank());
    return shape;
  }

  /** {@code [C, padded...]} for one image, or {@code [N, C, padded...]} for all. */
  private static long[] paddedShape(Geometry g, boolean allImages) {
    long[] shape = new long[(allImages ? 2 : 1) + g.rank()];
    int at = 0;
    if (allImages) {
      shape[at++] = g.batch;
    }
    shape[at++] = g.channels;
    System.arraycopy(g.padded, 0, shape, at, g.rank());
    return shape;
  }

  /**
   * {@code col[c, k..., o...] = image[c, o * stride + k * dilation ...]}, from the zero-bordered
   * copy when there is padding, else from X itself (shifted by the begin pads, which then no tap
   * crosses).
   */
  private static Stmt columns(LoweringContext ctx, Geometry g, Expr n, Optional<Buffer> image, Buffer col) {
    Var c = ctx.var("c");
    List<Var> taps = Nests.vars(ctx, "k", g.rank());
    List<Var> outs = Nests.vars(ctx, "o", g.rank());
    List<Expr> src = new ArrayList<>();
    if (image.isEmpty()) {
      src.add(n);
    }
    src.add(c);
    for (int a = 0; a < g.rank(); a++) {
      src.add(g.coordinate(a, outs.get(a), taps.get(a), image.isPresent() ? 0 : -g.padBegin[a]));
    }
    List<Expr> dst = new ArrayList<>();
    dst.add(c);
    dst.addAll(taps);
    dst.addAll(outs);
    Stmt s = Nests.store(col, dst, Exprs.load(image.orElse(g.x), src));
    int last = g.rank() - 1;
    s = new Stmt.For(outs.get(last), g.out[last],
        g.strides[last] == 1 ? LoopKind.VECTORIZED : LoopKind.SERIAL, s);
    boolean byRows = g.channels < FEW_CHANNELS && last >= 1;
    for (int a = last - 1; a >= (byRows ? 1 : 0); a--) {
      s = Nests.loop(outs.get(a), g.out[a], s);
    }
    s = Nests.nest(taps, g.kernel, s);
    if (byRows) {
      // Few channels (an image's 3): split the output rows between the threads instead, so that
      // they share the copy evenly (3 channels on 2 threads left one idle a third of the time).
      return new Stmt.For(outs.get(0), g.out[0], LoopKind.PARALLEL, Nests.loop(c, g.channels, s));
    }
    return new Stmt.For(c, g.channels, LoopKind.PARALLEL, s);
  }

  /** Below this many input channels, im2col is parallel over output rows rather than channels. */
  private static final long FEW_CHANNELS = 16;

  /**
   * The zero-bordered copy of image {@code n} (or of all images when {@code n} is null): zeros
   * everywhere, then X inside. {@code kinds}: parallel over channels and vectorized along the last
   * axis (for kernels that schedules leave alone), else serial loops for the default schedule.
   */
  private static Stmt padImage(LoweringContext ctx, Geometry g, Expr n, Buffer padded, boolean kinds) {
    boolean allImages = n == null;
    int parallelAt = kinds ? (allImages ? 1 : 0) : -1;
    if (kinds && g.channels < FEW_CHANNELS && padded.rank() >= parallelAt + 3) {
      parallelAt++; // few channels: rows in parallel, as in im2col
    }
    List<Var> zeroVars = Nests.vars(ctx, "p", padded.rank());
    Stmt zero = nest(zeroVars, padded.shapeArray(),
        Nests.store(padded, zeroVars, Exprs.constant(DType.F32, 0)), parallelAt);
    List<Var> copyVars = Nests.vars(ctx, "q", padded.rank());
    long[] extents = padded.shapeArray();
    List<Expr> to = new ArrayList<>();
    List<Expr> from = new ArrayList<>();
    if (!allImages) {
      from.add(n);
    }
    int spatial0 = allImages ? 2 : 1;
    for (int d = 0; d < padded.rank(); d++) {
      Var v = copyVars.get(d);
      if (d < spatial0) {
        to.add(v);
      } else {
        int a = d - spatial0;
        extents[d] = g.in[a];
        to.add(Exprs.add(v, index(g.padBegin[a])));
      }
      from.add(v);
    }
    Stmt copy = nest(copyVars, extents, Nests.store(padded, to, Exprs.load(g.x, from)), parallelAt);
    return Stmt.Block.of(zero, copy);
  }

  /**
   * A nest over {@code vars}; with {@code parallelAt >= 0} that loop is parallel and the innermost
   * vectorized, else every loop is serial.
   */
  private static Stmt nest(List<Var> vars, long[] extents, Stmt body, int parallelAt) {
    Stmt s = body;
    for (int d = vars.size() - 1; d >= 0; d--) {
      LoopKind kind = LoopKind.SERIAL;
      if (parallelAt >= 0 && d == vars.size() - 1) {
        kind = LoopKind.VECTORIZED;
      } else if (d == parallelAt) {
        kind = LoopKind.PARALLEL;
      }
      s = new Stmt.For(vars.get(d), extents[d], kind, s);
    }
    return s;
  }

  /** {@code for v in 0..extent { body(v) }}, or just {@code body(0)} for an extent of 1. */
  private static Stmt over(Var v, long extent, Function<Expr, Stmt> body) {
    return extent == 1 ? body.apply(index(0)) : Nests.loop(v, extent, body.apply(v));
  }

  // ---- depthwise ---------------------------------------------------------------------------

  /**
   * One input channel per group: {@code y[n, m, o...] = b[m] + sum over k of
   * image[n, m / multiplier, o * stride + k * dilation ...] * w[m, 0, k...]} over the
   * zero-bordered image, with no conditional, so that the default schedule accumulates in place
   * and vectorizes the last output axis (when its stride is 1).
   */
  private static Stmt depthwise(LoweringContext ctx, Geometry g, ConvEpilogue epilogue) {
    if (g.rank() == 2 && g.strides[0] == 1 && g.strides[1] == 1 && g.taps() <= MAX_SPELLED_TAPS) {
      return depthwiseRows(ctx, g, epilogue);
    }
    List<Stmt> stmts = new ArrayList<>();
    Buffer image = g.x;
    if (g.needsPadding) {
      image = ctx.scratch("pad", DType.F32, paddedShape(g, true));
      stmts.add(padImage(ctx, g, null, image, false));
    }
    Var n = ctx.var("n");
    Var m = ctx.var("m");
    List<Var> outs = Nests.vars(ctx, "o", g.rank());
    Expr channel = g.outPerGroup == 1 ? m : Nests.floorDiv(m, index(g.outPerGroup));
    List<Expr> yIndex = new ArrayList<>(List.of(n, m));
    yIndex.addAll(outs);
    Expr init = epilogue.bias().<Expr>map(b -> Exprs.load(b, m)).orElse(Exprs.constant(DType.F32, 0));
    Buffer source = image;
    Function<List<? extends Expr>, Expr> product = taps -> {
      List<Expr> src = new ArrayList<>(List.of(n, channel));
      List<Expr> wIndex = new ArrayList<>(List.of(m, index(0)));
      for (int a = 0; a < g.rank(); a++) {
        src.add(g.coordinate(a, outs.get(a), taps.get(a), g.needsPadding ? 0 : -g.padBegin[a]));
        wIndex.add(taps.get(a));
      }
      return Exprs.mul(Exprs.load(source, src), Exprs.load(g.w, wIndex));
    };
    List<Var> outer = new ArrayList<>(List.of(n, m));
    outer.addAll(outs);
    long[] extents = new long[outer.size()];
    extents[0] = g.batch;
    extents[1] = g.outChannels;
    System.arraycopy(g.out, 0, extents, 2, g.rank());
    if (g.taps() <= MAX_SPELLED_TAPS) {
      // One store of the whole sum (b + t0 + t1 + ..., the reference's order): an elementwise
      // nest, which the default schedule parallelizes and vectorizes with the sum in registers.
      Expr sum = init;
      for (long t = 0; t < g.taps(); t++) {
        List<Expr> tap = new ArrayList<>();
        long rest = t;
        for (int a = g.rank() - 1; a >= 0; a--) {
          tap.add(0, index(rest % g.kernel[a]));
          rest /= g.kernel[a];
        }
        sum = Exprs.add(sum, product.apply(tap));
      }
      Optional<Expr> z = epilogue.residual().map(r -> Exprs.load(r, yIndex));
      stmts.add(Nests.nest(outer, extents, Nests.store(g.y, yIndex, epilogue.afterBias(sum, z))));
      return block(stmts);
    }
    List<Var> taps = Nests.vars(ctx, "k", g.rank());
    Local acc = ctx.local("acc", DType.F32);
    Stmt tap = new Stmt.Assign(acc, Exprs.add(acc, product.apply(taps)));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, init),
        Nests.nest(taps, g.kernel, tap),
        Nests.store(g.y, yIndex, acc));
    stmts.add(Nests.nest(outer, extents, body));
    return withEpiloguePass(ctx, g, block(stmts), epilogue);
  }

  /**
   * Stride-1 2-D depthwise over whole padded rows: with the bordered image flattened per channel
   * ({@code Hp * Wp}, plus {@code (KW - 1) * dilation} zeros at the end), output row {@code oh}
   * computed at the padded width {@code Wp} is one contiguous run {@code p = oh * Wp + ow}, whose
   * tap {@code (kh, kw)} reads {@code p + kh * dh * Wp + kw * dw}: one flat loop over
   * {@code OH * Wp} positions per channel that vectorizes without a tail per row (a row of 56 is
   * 3 vectors of 16 and 8 scalar iterations). The {@code Wp - OW} extra positions of each row are
   * computed and dropped: a second nest copies the valid ones into Y, applying the epilogue.
   */
  private static Stmt depthwiseRows(LoweringContext ctx, Geometry g, ConvEpilogue epilogue) {
    long hp = g.padded[0];
    long wp = g.padded[1];
    long plane = hp * wp + (g.kernel[1] - 1) * g.dilations[1];
    Buffer image = ctx.scratch("pad", DType.F32, g.batch, g.channels, plane);
    Buffer rows = ctx.scratch("rows", DType.F32, g.batch, g.outChannels, g.out[0] * wp);
    List<Stmt> stmts = new ArrayList<>();
    List<Var> zero = Nests.vars(ctx, "p", 3);
    stmts.add(Nests.nest(zero, image.shapeArray(),
        Nests.store(image, zero, Exprs.constant(DType.F32, 0))));
    List<Var> copy = Nests.vars(ctx, "q", 4);
    Expr at = Exprs.add(Exprs.mul(Exprs.add(copy.get(2), index(g.padBegin[0])), index(wp)),
        Exprs.add(copy.get(3), index(g.padBegin[1])));
    stmts.add(Nests.nest(copy, g.x.shapeArray(),
        Nests.store(image, List.of(copy.get(0), copy.get(1), at), Exprs.load(g.x, copy))));
    Var n = ctx.var("n");
    Var m = ctx.var("m");
    Var p = ctx.var("r");
    Expr channel = g.outPerGroup == 1 ? m : Nests.floorDiv(m, index(g.outPerGroup));
    Expr sum = epilogue.bias().<Expr>map(b -> Exprs.load(b, m)).orElse(Exprs.constant(DType.F32, 0));
    for (long kh = 0; kh < g.kernel[0]; kh++) {
      for (long kw = 0; kw < g.kernel[1]; kw++) {
        Expr x = Exprs.load(image, n, channel,
            Exprs.add(p, index(kh * g.dilations[0] * wp + kw * g.dilations[1])));
        sum = Exprs.add(sum, Exprs.mul(x, Exprs.load(g.w, m, index(0), index(kh), index(kw))));
      }
    }
    stmts.add(Nests.nest(List.of(n, m, p), rows.shapeArray(), Nests.store(rows, List.of(n, m, p), sum)));
    List<Var> out = Nests.vars(ctx, "e", 4);
    Expr value = Exprs.load(rows, out.get(0), out.get(1),
        Exprs.add(Exprs.mul(out.get(2), index(wp)), out.get(3)));
    Optional<Expr> z = epilogue.residual().map(r -> Exprs.load(r, out));
    stmts.add(Nests.nest(out, g.y.shapeArray(), Nests.store(g.y, out, epilogue.afterBias(value, z))));
    return block(stmts);
  }

  /**
   * {@code conv} (which wrote {@code y = sum + bias}) followed, when the epilogue has a residual or
   * an activation, by an elementwise pass {@code y = activation(y + residual)}.
   */
  private static Stmt withEpiloguePass(LoweringContext ctx, Geometry g, Stmt conv, ConvEpilogue epilogue) {
    if (!epilogue.hasResidualOrActivation(g.y.dtype())) {
      return conv;
    }
    List<Var> vars = Nests.vars(ctx, "e", g.y.rank());
    Optional<Expr> z = epilogue.residual().map(r -> Exprs.load(r, vars));
    Stmt pass = Nests.nest(vars, g.y.shapeArray(),
        Nests.store(g.y, vars, epilogue.afterBias(Exprs.load(g.y, vars), z)));
    return block(List.of(conv, pass));
  }

  /** The statements in one block, nested blocks flattened (the default schedule sees top-level nests). */
  private static Stmt block(List<Stmt> stmts) {
    List<Stmt> flat = new ArrayList<>();
    for (Stmt s : stmts) {
      if (s instanceof Stmt.Block b) {
        flat.addAll(b.stmts());
      } else {
        flat.add(s);
      }
    }
    return flat.size() == 1 ? flat.get(0) : Stmt.Block.of(flat);
  }
}
