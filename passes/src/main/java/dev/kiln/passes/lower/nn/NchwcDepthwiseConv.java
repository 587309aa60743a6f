package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Depthwise NCHWc convolution, vectorized over the b channels of a block at any stride:
 * {@code y[n, cb, oh, ow, l] = act(b[cb, l] + sum over taps inside X of
 * x[n, cb, oh * s + kh * d - pt, ow * s + kw * d - pl, l] * w[cb, kh, kw, l] + z[n, cb, oh, ow, l])}
 * with W and B packed by {@link NchwcPacking}. For up to {@link ConvLowerings#MAX_SPELLED_TAPS}
 * taps the sum is one fma chain per output in {@link NchwcWindow#clippedRowsByRow} (one parallel
 * loop over bands of output rows, in each every channel block with its weights in vector
 * registers, the taps in the padding left out per run of rows and columns, bias, residual and
 * activation applied before the one store; {@link #byRows}): X is read in place, so the kernel is
 * one pass over X and Y. Split by channel blocks instead, {@link NchwcWindow#clippedRows}, or for
 * small stride-1 images its zero-bordered copy ({@link #bordered}). Beyond the spelled taps, an
 * accumulator loop over the taps on a zero-bordered copy of X, scheduled by default.
 */
public final class NchwcDepthwiseConv {
  private NchwcDepthwiseConv() {}

  /**
   * Whether a padded stride-1 layer narrower than {@link #clippedMinWidth()} takes the bordered
   * copy instead of the clipped nest: there the border is a large share of the outputs (27 % at
   * 14², 49 % at 7²) and the clipped nest's generic border path made MobileNetV2's 14² and 7²
   * layers 1.5 to 1.7x slower (0.061 -> 0.097 ms at 384 @14², 0.052 -> 0.089 at 960 @7²; p10 of
   * 200 runs, load average 17), while at 56² and above, and at stride 2, the clipped nest won
   * (0.476 -> 0.233 ms at 96 @112² stride 2, 0.306 -> 0.229 at 32 @112²).
   */
  static boolean bordered(NchwcWindow win, NchwcConvOperands op) {
    return win.needsPadding && win.strides[0] == 1 && win.strides[1] == 1
        && win.out[1] < clippedMinWidth() && NchwcPacking.constantAndFinite(op.constantWeights());
  }

  /** 56, or {@code -Dkiln.nchwc.clippedMinWidth=N} (tests and benchmarks). */
  static long clippedMinWidth() {
    return Long.getLong("kiln.nchwc.clippedMinWidth", 56);
  }

  /**
   * Whether the bordered copy of a small stride-1 layer ({@link #bordered}) is made per channel
   * block inside the depthwise nest's parallel loop, each plane written just before it is read
   * (in L1), instead of by five nests of its own (border fills and the copy: five parallel loops
   * and a pass over the whole input through L2 or memory): true, or
   * {@code -Dkiln.nchwc.borderPerBlock=false} (A/B; the loop IR shows which).
   */
  static boolean borderPerBlock() {
    return !"false".equals(System.getProperty("kiln.nchwc.borderPerBlock"));
  }

  /**
   * Whether the threads split the outputs by rows ({@link NchwcWindow#clippedRowsByRow}, the
   * default) or by channel blocks ({@code -Dkiln.nchwc.depthwiseSplit=blocks}: the clipped nest,
   * or the bordered copy of {@link #bordered}). By rows, each thread reads the rows of the
   * expand convolution before it that it wrote itself and writes those the projection after it
   * reads; by blocks, half of every plane crossed between the processors' caches, which on this
   * VM runs at a quarter of a local read (25-30 against 100+ GB/s, reads and writes alike).
   * MobileNetV2 on 2 threads, alternating processes, Kiln/ORT: 1.13 1.17 0.98 1.07 by rows
   * against 1.28 1.19 1.43 1.29 by blocks; on 1 thread the depthwise layers take ~7 % longer in
   * all (0.78 -> 0.84 ms of 5).
   */
  static boolean byRows() {
    return !"blocks".equals(System.getProperty("kiln.nchwc.depthwiseSplit"));
  }

  /**
   * Neighbouring outputs of a row computed per iteration (see {@link NchwcWindow#clippedRows}):
   * 4, or {@code -Dkiln.nchwc.unroll=N}. With the weights in registers for the whole channel
   * block, 4 outputs of a 3x3 stride-1 row read 18 input vectors instead of 36: 144 channels at
   * 56² took 0.13 ms against 0.19 at 1 (the kernel alone, thread CPU time, same process).
   */
  static int unroll() {
    return Math.max(1, Integer.getInteger("kiln.nchwc.unroll", 4));
  }

  /**
   * Depthwise, and for kernels beyond the spelled taps (which read a zero-bordered copy) either
   * no tap in the padding or W a compile-time constant of finite values (so the zero border adds
   * exactly 0, as the reference's skipped taps).
   */
  public static boolean supports(NchwcConvOperands op) {
    NchwcWindow win = NchwcWindow.of(op);
    return op.depthwise() && op.y().size() > 0 && op.x().size() > 0
        && (win.taps() <= ConvLowerings.MAX_SPELLED_TAPS || !win.needsPadding
            || NchwcPacking.constantAndFinite(op.constantWeights()));
  }

  public static Stmt lower(LoweringContext ctx, NchwcConvOperands op) {
    NchwcWindow win = NchwcWindow.of(op);
    List<Stmt> stmts = new ArrayList<>();
    Buffer w = NchwcPacking.weights(ctx, op, stmts);
    Optional<Buffer> bias = NchwcPacking.bias(ctx, op, stmts);
    ConvEpilogue epilogue = new ConvEpilogue(op.bias(), op.residual(), op.activation());
    if (win.taps() <= ConvLowerings.MAX_SPELLED_TAPS && byRows()) {
      // X read in place, split by rows: no bordered copy (its per-block planes belong to the
      // split by blocks), the border's taps clipped.
      stmts.add(win.clippedRowsByRow(ctx, op.y(), unroll(), op.residual().isEmpty(), taps(op, op.x(), w, bias, epilogue)));
      return NchwcPacking.block(stmts);
    }
    if (win.taps() <= ConvLowerings.MAX_SPELLED_TAPS && bordered(win, op)) {
      // Small images at stride 1: the bordered copy, then the same nest over it, every tap
      // inside (no border path); the copy made per channel block inside the nest's one parallel
      // loop (borderPerBlock), else by nests of its own before it.
      NchwcWindow inside = new NchwcWindow(win.padded.clone(), win.out, win.kernel, win.strides,
          win.dilations, new long[2], new long[2]);
      if (borderPerBlock()) {
        Buffer src = win.borderedBuffer(ctx, op.x());
        stmts.add(inside.clippedRows(ctx, op.y(), unroll(), op.residual().isEmpty(),
            taps(op, src, w, bias, epilogue), (n, cb, l) -> win.borderedPlane(ctx, op.x(), src, n, cb, l, 0)));
        return NchwcPacking.block(stmts);
      }
      Buffer src = win.bordered(ctx, op.x(), 0, stmts);
      stmts.add(inside.clippedRows(ctx, op.y(), unroll(), op.residual().isEmpty(), taps(op, src, w, bias, epilogue)));
      return NchwcPacking.block(stmts);
    }
    if (win.taps() <= ConvLowerings.MAX_SPELLED_TAPS) {
      // Only the taps inside X are summed, as the reference does: no bordered copy.
      stmts.add(win.clippedRows(ctx, op.y(), unroll(), op.residual().isEmpty(), taps(op, op.x(), w, bias, epilogue)));
      return NchwcPacking.block(stmts);
    }
    Buffer src = win.needsPadding ? win.bordered(ctx, op.x(), 0, stmts) : op.x();
    long[] shift = win.needsPadding ? new long[2] : new long[] {-win.padBegin[0], -win.padBegin[1]};
    List<Var> o = Nests.vars(ctx, "o", 5);
    Expr init = bias.<Expr>map(b -> Exprs.load(b, o.get(1), o.get(4)))
        .orElse(Exprs.constant(DType.F32, 0));
    Optional<Expr> z = op.residual().map(r -> Exprs.load(r, o));
    Local acc = ctx.local("acc", DType.F32);
    Var kh = ctx.var("kh");
    Var kw = ctx.var("kw");
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, init),
        Nests.nest(List.of(kh, kw), win.kernel,
            new Stmt.Assign(acc, Exprs.add(acc, product(win, src, w, o, kh, kw, shift)))),
        Nests.store(op.y(), o, epilogue.afterBias(acc, z)));
    stmts.add(Nests.nest(o, op.y().shapeArray(), body));
    return NchwcPacking.block(stmts);
  }

  /** The depthwise fold over input {@code x} (X itself, or its bordered copy). */
  private static NchwcWindow.Taps taps(NchwcConvOperands op, Buffer x, Buffer w, Optional<Buffer> bias,
      ConvEpilogue epilogue) {
    return new NchwcWindow.Taps() {
      @Override
      public Expr init(List<Expr> at) {
        return bias.<Expr>map(b -> Exprs.load(b, at.get(1), at.get(4)))
            .orElse(Exprs.constant(DType.F32, 0));
      }

      @Override
      public Expr tap(List<Expr> at, Expr ih, Expr iw, Expr kh, Expr kw, Expr acc) {
        Expr v = Exprs.load(x, at.get(0), at.get(1), ih, iw, at.get(4));
        return Exprs.call(Intrinsic.FMA, v, Exprs.load(w, at.get(1), index(0), kh, kw, at.get(4)), acc);
      }

      @Override
      public Expr finish(List<Expr> at, Expr acc) {
        return epilogue.afterBias(acc, op.residual().map(r -> Exprs.load(r, at)));
      }
    };
  }

  private static Expr product(NchwcWindow win, Buffer src, Buffer w, List<? extends Expr> o,
      Expr kh, Expr kw, long[] shift) {
    Expr x = Exprs.load(src, o.get(0), o.get(1), win.coordinate(0, o.get(2), kh, shift[0]),
        win.coordinate(1, o.get(3), kw, shift[1]), o.get(4));
    return Exprs.mul(x, Exprs.load(w, o.get(1), index(0), kh, kw, o.get(4)));
  }
}
