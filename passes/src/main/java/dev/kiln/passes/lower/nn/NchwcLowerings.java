package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import dev.kiln.passes.lower.fused.EpilogueExprs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The blocked-layout (NCHWc) operators: reorders, pooling, and the choice of a convolution
 * kernel for {@code NchwcConv} ({@link #conv}). Every nest keeps the lane axis {@code b}
 * innermost and without conditionals, so that the default schedule parallelizes the outer loops
 * and vectorizes the lanes; a partial last block (C not a multiple of b) gets a nest of its own.
 */
public final class NchwcLowerings {
  private NchwcLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    all.put("ReorderInput", NchwcLowerings::reorderInput);
    all.put("ReorderOutput", NchwcLowerings::reorderOutput);
    all.put("NchwcConv", NchwcLowerings::conv);
    all.put("NchwcMaxPool", ctx -> pool(ctx, true));
    all.put("NchwcAveragePool", ctx -> pool(ctx, false));
    all.put("NchwcGlobalAveragePool", NchwcLowerings::globalAveragePool);
    return all;
  }

  // ---- reorders ----------------------------------------------------------------------------

  /** {@code y[n, cb, h, w, l] = x[n, cb * b + l, h, w]}, pad lanes of a partial last block zeroed. */
  private static Stmt reorderInput(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    return reorder(ctx, x, y, x.dim(1), true);
  }

  /** {@code y[n, c, h, w] = x[n, c / b, h, w, c % b]}, over full blocks and a partial last one. */
  private static Stmt reorderOutput(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    return reorder(ctx, y, x, y.dim(1), false);
  }

  /**
   * Between {@code nchw} and {@code blocked} ({@code [N, Cb, H, W, b]}), in the direction given:
   * ONE parallel loop over the blocked rows {@code (n, cb, h)} (no division per element, each
   * thread a contiguous range of both buffers); in a row, per lane a serial loop along W, so the
   * NCHW side is read or written contiguously and the blocked side 16 floats apart within one
   * row of {@code W * b} floats that stays in the L1 cache. A partial last block (C not a multiple
   * of b) is a branch of the same loop that copies its channels and zeroes its remaining lanes.
   * Scalar: a lane-to-position transpose needs vector shuffles the emitter does not generate.
   */
  private static Stmt reorder(LoweringContext ctx, Buffer nchw, Buffer blocked, long channels,
      boolean toBlocked) {
    long b = blocked.dim(4);
    long full = channels / b;
    long rest = channels % b;
    Var row = ctx.var("row");
    List<Expr> nch = Nests.unflatten(row, new long[] {blocked.dim(0), blocked.dim(1), blocked.dim(2)});
    Stmt fullRow = full == 0 ? null : reorderRow(ctx, nchw, blocked, nch.get(0),
        full == blocked.dim(1) ? nch.get(1) : Nests.min(nch.get(1), index(full - 1)), nch.get(2), b,
        toBlocked);
    Stmt body = fullRow;
    if (rest > 0) {
      List<Stmt> partial = new ArrayList<>();
      partial.add(reorderRow(ctx, nchw, blocked, nch.get(0), index(full), nch.get(2), rest, toBlocked));
      if (toBlocked) {
        Var l = ctx.var("l");
        Var w = ctx.var("w");
        partial.add(Nests.loop(w, blocked.dim(3), Nests.loop(l, b - rest, Nests.store(blocked,
            List.of(nch.get(0), index(full), nch.get(2), w, Exprs.add(l, index(rest))),
            Exprs.constant(blocked.dtype(), 0)))));
      }
      Stmt last = Stmt.Block.of(partial);
      body = fullRow == null ? last
          : new Stmt.If(Exprs.lt(nch.get(1), index(full)), fullRow, java.util.Optional.of(last));
    }
    return new Stmt.For(row, blocked.dim(0) * blocked.dim(1) * blocked.dim(2), LoopKind.PARALLEL, body);
  }

  /** One blocked row {@code (n, cb, h)}: {@code lanes} lanes, each a serial loop along W. */
  private static Stmt reorderRow(LoweringContext ctx, Buffer nchw, Buffer blocked, Expr n, Expr cb,
      Expr h, long lanes, boolean toBlocked) {
    Var l = ctx.var("l");
    Var w = ctx.var("w");
    List<Expr> blockedIndex = List.of(n, cb, h, w, l);
    List<Expr> nchwIndex = List.of(n, Exprs.add(Exprs.mul(cb, index(blocked.dim(4))), l), h, w);
    Stmt store = toBlocked
        ? Nests.store(blocked, blockedIndex, Exprs.load(nchw, nchwIndex))
        : Nests.store(nchw, nchwIndex, Exprs.load(blocked, blockedIndex));
    return Nests.loop(l, lanes, Nests.loop(w, blocked.dim(3), store));
  }

  // ---- convolution -------------------------------------------------------------------------

  /** The operands of this NchwcConv node. */
  static NchwcConvOperands operands(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer w = ctx.input(1);
    long[] kernel = Arrays.copyOfRange(w.shapeArray(), 2, 4);
    NchwcWindow win = NchwcWindow.of(ctx.attrs(), x, kernel, "convolution");
    Epilogue epilogue = Epilogue.of(ctx.attrs());
    DType t = ctx.output(0).dtype();
    return new NchwcConvOperands(x, w, ctx.constant(1),
        ctx.hasInput(2) ? Optional.of(ctx.input(2)) : Optional.empty(),
        ctx.hasInput(3) ? Optional.of(ctx.input(3)) : Optional.empty(),
        ctx.output(0), Math.toIntExact(ctx.output(0).dim(4)), ctx.attrs().getInt("channels", 0), kernel,
        win.strides, win.dilations, win.padBegin, win.padEnd, ctx.attrs().getInt("group", 1),
        v -> EpilogueExprs.activation(epilogue, v, t));
  }

  /**
   * NchwcConv: builds the {@link NchwcConvOperands} and asks the kernel providers, in order, which
   * supports this geometry.
   */
  static Stmt conv(LoweringContext ctx) {
    NchwcConvOperands op = operands(ctx);
    // ---- PROVIDER CHOICE: the one place where the kernel of an NchwcConv is chosen. ----------
    // Dense kernels (NchwcDirectConv, NchwcWinogradConv) are wired in here, each behind its own
    // supports(op) and a cost model; NchwcReferenceConv supports everything and comes last.
    if (NchwcDepthwiseConv.supports(op)) {
      return NchwcDepthwiseConv.lower(ctx, op);
    }
    // Winograd for the 3x3 stride-1 layers where ConvCostModel (or -Dkiln.conv.algorithm) says so.
    Optional<WinogradConv.Tile> winograd = ConvCostModel.nchwcWinograd(op,
        ConvCostModel.weightsResident(ctx.runBytes()));
    if (winograd.isPresent()) {
      return NchwcWinogradConv.lower(ctx, op, winograd.get());
    }
    if (NchwcDirectConv.supports(op)) {
      return NchwcDirectConv.lower(ctx, op);
    }
    return NchwcReferenceConv.lower(ctx, op);
  }

  // ---- pooling -----------------------------------------------------------------------------

  /**
   * Max or average pooling of every lane. Max pooling with at most
   * {@link ConvLowerings#MAX_SPELLED_TAPS} taps reads a copy bordered with -inf and stores one
   * max expression per output (an elementwise nest); anything else is an accumulator loop over
   * the taps with the padding as an {@code If}.
   */
  private static Stmt pool(LoweringContext ctx, boolean max) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = y.dtype();
    NchwcWindow win = NchwcWindow.of(ctx.attrs(), x,
        ctx.attrs().getInts("kernel_shape").orElseThrow(), "pooling");
    List<Var> o = Nests.vars(ctx, "o", 5);
    if (max && win.taps() <= ConvLowerings.MAX_SPELLED_TAPS && y.size() > 0) {
      // Only the taps inside X, as the reference: no bordered copy.
      return win.clippedRows(ctx, y, NchwcDepthwiseConv.unroll(), true, new NchwcWindow.Taps() {
        @Override
        public Expr init(List<Expr> at) {
          return Nests.constant(t, Double.NEGATIVE_INFINITY);
        }

        @Override
        public Expr tap(List<Expr> at, Expr ih, Expr iw, Expr kh, Expr kw, Expr acc) {
          return spelledMax(Exprs.load(x, at.get(0), at.get(1), ih, iw, at.get(4)), acc);
        }

        @Override
        public Expr finish(List<Expr> at, Expr acc) {
          return acc;
        }
      });
    }
    boolean includePad = ctx.attrs().getInt("count_include_pad", 0) == 1;
    Local acc = ctx.local(max ? "best" : "sum", t);
    Local count = ctx.local("count", DType.I32);
    Var kh = ctx.var("kh");
    Var kw = ctx.var("kw");
    Expr ih = win.inputCoordinate(0, o.get(2), kh);
    Expr iw = win.inputCoordinate(1, o.get(3), kw);
    Expr v = Exprs.load(x, o.get(0), o.get(1), ih, iw, o.get(4));
    List<Stmt> tap = new ArrayList<>();
    List<Expr> inside = win.inside(o.get(2), o.get(3), kh, kw);
    Stmt update = max ? new Stmt.Assign(acc, nanMax(v, acc)) : Stmt.Block.of(
        new Stmt.Assign(acc, Exprs.add(acc, v)),
        includePad ? Stmt.Block.of() : new Stmt.Assign(count, Exprs.add(count, index(1))));
    tap.add(inside.isEmpty() ? update : Stmt.If.of(Nests.all(inside), update));
    if (!max && includePad) {
      // As the reference: the taps within the padded input count, not those past it (ceil mode).
      List<Expr> within = new ArrayList<>();
      Expr[] c = {ih, iw};
      for (int a = 0; a < 2; a++) {
        within.add(Nests.ge(c[a], index(-win.padBegin[a])));
        within.add(Exprs.lt(c[a], index(win.in[a] + win.padEnd[a])));
      }
      tap.add(Stmt.If.of(Nests.all(within), new Stmt.Assign(count, Exprs.add(count, index(1)))));
    }
    Expr result = max ? acc : new Expr.Binary(BinaryOp.DIV, acc, Exprs.cast(t, count));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, Nests.constant(t, max ? Double.NEGATIVE_INFINITY : 0)),
        new Stmt.Let(count, index(0)),
        Nests.nest(List.of(kh, kw), win.kernel, Stmt.Block.of(tap)),
        Nests.store(y, o, result));
    return Nests.nest(o, y.shapeArray(), body);
  }

  /**
   * {@code y[n, cb, 0, 0, l] = sum over h, w of x[n, cb, h, w, l] / (H * W)}: zero, accumulate
   * in place (the lanes innermost), divide.
   */
  private static Stmt globalAveragePool(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = y.dtype();
    List<Var> z = Nests.vars(ctx, "z", 5);
    List<Var> s = Nests.vars(ctx, "s", 5);
    List<Var> d = Nests.vars(ctx, "d", 5);
    List<Expr> acc = List.of(s.get(0), s.get(1), index(0), index(0), s.get(4));
    return Stmt.Block.of(
        Nests.nest(z, y.shapeArray(), Nests.store(y, z, Nests.constant(t, 0))),
        Nests.nest(s, x.shapeArray(),
            Nests.store(y, acc, Exprs.add(Exprs.load(y, acc), Exprs.load(x, s)))),
        Nests.nest(d, y.shapeArray(), Nests.store(y, d, new Expr.Binary(BinaryOp.DIV,
            Exprs.load(y, d), Nests.constant(t, (double) x.dim(2) * x.dim(3))))));
  }

  /**
   * The maximum of a spelled chain of taps: NaN-propagating like the reference ({@code max} is
   * {@link Math#max} in every engine), and unlike {@link #nanMax} it names {@code best} once, so a
   * chain of n taps is n nodes, not 2^n (a 5x5 window printed and emitted 2^25 copies). The one
   * difference from the reference's "first greater tap": {@code max(-0.0, 0.0)} is 0.0 whichever
   * comes first.
   */
  static Expr spelledMax(Expr v, Expr best) {
    return new Expr.Binary(BinaryOp.MAX, v, best);
  }

  /** The maximum with NaN winning, as the reference's MaxPool. */
  static Expr nanMax(Expr v, Expr best) {
    return Exprs.select(new Expr.Binary(BinaryOp.GT, v, best), v,
        Exprs.select(new Expr.Binary(BinaryOp.NE, v, v), v, best));
  }
}
