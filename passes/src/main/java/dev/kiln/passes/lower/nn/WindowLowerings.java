package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.ops.nn.SlidingWindow;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Convolution and window pooling: loops over batch, channel and output positions, an
 * accumulator over the window's taps, and the padding as an {@code If} guard on the input
 * coordinate {@code o * stride - padBegin + tap * dilation} (left out along axes where the
 * geometry keeps every tap inside). Window geometry (pads, auto_pad, strides, dilations,
 * ceil_mode) is {@link SlidingWindow}'s, the same code the reference runs.
 */
final class WindowLowerings {
  private WindowLowerings() {}

  /** The loop variables and index arithmetic of one window nest. */
  private static final class Window {
    final SlidingWindow window;
    final SlidingWindow.Placement placement;
    final long[] inSpatial;
    final long[] outSpatial;
    final long[] kernel;
    final List<Var> out;
    final List<Var> taps;

    Window(LoweringContext ctx, Buffer x, long[] kernel, String what) {
      this.kernel = kernel;
      window = SlidingWindow.fromAttributes(ctx.attrs(), kernel, what);
      inSpatial = Arrays.copyOfRange(x.shapeArray(), 2, x.rank());
      placement = window.place(inSpatial, 2, "input 0 (X)");
      outSpatial = placement.outputShape();
      out = Nests.vars(ctx, "o", kernel.length);
      taps = Nests.vars(ctx, "k", kernel.length);
    }

    /** The input coordinate read by the current tap along spatial axis {@code a}. */
    Expr coordinate(int a) {
      return Exprs.add(Exprs.sub(Exprs.mul(out.get(a), index(window.stride(a))),
          index(placement.padBegin()[a])), Exprs.mul(taps.get(a), index(window.dilation(a))));
    }

    List<Expr> coordinates() {
      List<Expr> c = new ArrayList<>();
      for (int a = 0; a < kernel.length; a++) {
        c.add(coordinate(a));
      }
      return c;
    }

    /** Whether the current tap is inside the input; empty list when it always is. */
    List<Expr> insideConditions() {
      List<Expr> conditions = new ArrayList<>();
      for (int a = 0; a < kernel.length; a++) {
        long lo = -placement.padBegin()[a];
        long hi = (outSpatial[a] - 1) * window.stride(a) - placement.padBegin()[a]
            + (kernel[a] - 1) * window.dilation(a);
        if (lo < 0 || hi >= inSpatial[a]) {
          conditions.add(Nests.inRange(coordinate(a), inSpatial[a]));
        }
      }
      return conditions;
    }

    /** {@code body}, run only for taps inside the input. */
    Stmt guarded(Stmt body) {
      List<Expr> inside = insideConditions();
      return inside.isEmpty() ? body : Stmt.If.of(Nests.all(inside), body);
    }

    Stmt overTaps(Stmt body) {
      return Nests.nest(taps, kernel, body);
    }

    Stmt overOutput(List<Var> outer, long[] outerExtents, Stmt body) {
      List<Var> vars = new ArrayList<>(outer);
      vars.addAll(out);
      long[] extents = new long[vars.size()];
      System.arraycopy(outerExtents, 0, extents, 0, outerExtents.length);
      System.arraycopy(outSpatial, 0, extents, outerExtents.length, outSpatial.length);
      return Nests.nest(vars, extents, body);
    }

    List<Expr> outputIndex(Expr n, Expr c) {
      List<Expr> idx = new ArrayList<>(List.of(n, c));
      idx.addAll(out);
      return idx;
    }
  }

  /** The direct convolution: an accumulator over channels and taps, initialized with the bias. */
  static Stmt conv(LoweringContext ctx, java.util.Optional<Buffer> bias) {
    Buffer x = ctx.input(0);
    Buffer w = ctx.input(1);
    Buffer y = ctx.output(0);
    DType t = y.dtype();
    long group = ctx.attrs().getInt("group", 1);
    long[] kernel = Arrays.copyOfRange(w.shapeArray(), 2, w.rank());
    Var n = ctx.var("n");
    Var m = ctx.var("m");
    Window win = new Window(ctx, x, kernel, "convolution");
    Var c = ctx.var("c");
    Local acc = ctx.local("acc", t);
    long perGroup = w.dim(1);
    long outPerGroup = w.dim(0) / group;
    Expr channel = group == 1 ? c
        : Exprs.add(Exprs.mul(Nests.floorDiv(m, index(outPerGroup)), index(perGroup)), c);
    List<Expr> xIndex = new ArrayList<>(List.of(n, channel));
    xIndex.addAll(win.coordinates());
    List<Expr> wIndex = new ArrayList<>(List.of(m, c));
    wIndex.addAll(win.taps);
    Stmt tap = win.guarded(new Stmt.Assign(acc,
        Exprs.add(acc, Exprs.mul(Exprs.load(x, xIndex), Exprs.load(w, wIndex)))));
    Expr init = bias.<Expr>map(b -> Exprs.load(b, m)).orElse(Nests.constant(t, 0));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, init),
        Nests.loop(c, perGroup, win.overTaps(tap)),
        Nests.store(y, win.outputIndex(n, m), acc));
    return win.overOutput(List.of(n, m), new long[] {y.dim(0), y.dim(1)}, body);
  }

  static Stmt maxPool(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = y.dtype();
    Var n = ctx.var("n");
    Var ch = ctx.var("c");
    Window win = new Window(ctx, x, ctx.attrs().getInts("kernel_shape").orElseThrow(), "pooling");
    if (t == DType.F32 && ctx.outputCount() == 1 && win.kernel.length == 2 && y.size() > 0
        && win.kernel[0] * win.kernel[1] <= ConvLowerings.MAX_SPELLED_TAPS) {
      return spelledMaxPool(ctx, win, n, ch);
    }
    Local best = ctx.local("best", t);
    Local at = ctx.local("at", DType.I64);
    List<Expr> xIndex = new ArrayList<>(List.of(n, ch));
    xIndex.addAll(win.coordinates());
    Expr v = Exprs.load(x, xIndex);
    List<Stmt> update = new ArrayList<>();
    Expr replace;
    Expr first = Exprs.lt(at, Nests.longConstant(DType.I64, 0));
    if (t.isFloating()) {
      // As the reference: the first tap inside the input, then greater or NaN unless best is NaN.
      Expr better = Exprs.binary(BinaryOp.OR, new Expr.Binary(BinaryOp.GT, v, best),
          new Expr.Binary(BinaryOp.NE, v, v));
      replace = Exprs.binary(BinaryOp.OR, first,
          Exprs.and(new Expr.Binary(BinaryOp.EQ, best, best), better));
    } else {
      replace = Exprs.binary(BinaryOp.OR, first, new Expr.Binary(BinaryOp.GT, v, best));
    }
    update.add(new Stmt.Assign(best, v));
    if (ctx.outputCount() == 2) {
      update.add(new Stmt.Assign(at, Exprs.cast(DType.I64, spatialOffset(ctx, win, x))));
    } else {
      update.add(new Stmt.Assign(at, Nests.longConstant(DType.I64, 0)));
    }
    Stmt tap = win.guarded(Stmt.If.of(replace, Stmt.Block.of(update)));
    List<Stmt> body = new ArrayList<>(List.of(
        new Stmt.Let(best, t.isFloating()
            ? Nests.constant(t, Double.NEGATIVE_INFINITY) : Nests.longConstant(t, 0)),
        new Stmt.Let(at, Nests.longConstant(DType.I64, -1)),
        win.overTaps(tap),
        Nests.store(y, win.outputIndex(n, ch), best)));
    if (ctx.outputCount() == 2) {
      long plane = 1;
      for (long d : win.inSpatial) {
        plane *= d;
      }
      Expr planeIndex = Exprs.cast(DType.I64, Exprs.add(Exprs.mul(n, index(x.dim(1))), ch));
      body.add(Nests.store(ctx.output(1), win.outputIndex(n, ch),
          Exprs.add(Exprs.mul(planeIndex, Nests.longConstant(DType.I64, plane)), at)));
    }
    return win.overOutput(List.of(n, ch), new long[] {y.dim(0), y.dim(1)}, Stmt.Block.of(body));
  }

  /**
   * 2-D f32 max pooling without branches: one NaN-propagating max expression over the spelled taps
   * per output, read from a copy of X bordered with -inf when the window crosses the border (a
   * tap outside the input then never wins, as the reference skips it). ResNet's 3x3 stride-2 pool
   * took 12.8 ms per run through the general nest (an {@code if} per tap and per comparison).
   */
  private static Stmt spelledMaxPool(LoweringContext ctx, Window win, Var n, Var ch) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    List<Stmt> stmts = new ArrayList<>();
    Buffer src = x;
    long[] shift = new long[2];
    if (!win.insideConditions().isEmpty()) {
      long[] bordered = {x.dim(0), x.dim(1), 0, 0};
      for (int a = 0; a < 2; a++) {
        // Ceil mode's last window may reach past the end pad: the border covers every tap.
        long reach = (win.outSpatial[a] - 1) * win.window.stride(a)
            + (win.kernel[a] - 1) * win.window.dilation(a) + 1;
        bordered[2 + a] = Math.max(reach, win.placement.padBegin()[a] + win.inSpatial[a]);
      }
      src = ctx.scratch("bordered", DType.F32, bordered);
      List<Var> all = Nests.vars(ctx, "b", 4);
      stmts.add(Nests.nest(all, bordered,
          Nests.store(src, all, Nests.constant(DType.F32, Double.NEGATIVE_INFINITY))));
      List<Var> in = Nests.vars(ctx, "i", 4);
      List<Expr> to = List.of(in.get(0), in.get(1),
          Exprs.add(in.get(2), index(win.placement.padBegin()[0])),
          Exprs.add(in.get(3), index(win.placement.padBegin()[1])));
      stmts.add(Nests.nest(in, x.shapeArray(), Nests.store(src, to, Exprs.load(x, in))));
    } else {
      shift = new long[] {-win.placement.padBegin()[0], -win.placement.padBegin()[1]};
    }
    Expr best = null;
    for (long kh = 0; kh < win.kernel[0]; kh++) {
      for (long kw = 0; kw < win.kernel[1]; kw++) {
        long[] tap = {kh, kw};
        List<Expr> at = new ArrayList<>(List.of(n, ch));
        for (int a = 0; a < 2; a++) {
          at.add(Exprs.add(Exprs.mul(win.out.get(a), index(win.window.stride(a))),
              index(tap[a] * win.window.dilation(a) + shift[a])));
        }
        Expr v = Exprs.load(src, at);
        best = best == null ? v : NchwcLowerings.spelledMax(v, best);
      }
    }
    stmts.add(win.overOutput(List.of(n, ch), new long[] {y.dim(0), y.dim(1)},
        Nests.store(y, win.outputIndex(n, ch), best)));
    return Stmt.Block.of(stmts);
  }

  /** The offset of the current tap within its input plane, row- or column-major (storage_order). */
  private static Expr spatialOffset(LoweringContext ctx, Window win, Buffer x) {
    List<Expr> coords = win.coordinates();
    long[] sizes = win.inSpatial.clone();
    if (ctx.attrs().getInt("storage_order", 0) == 1) {
      java.util.Collections.reverse(coords);
      for (int i = 0; i < sizes.length / 2; i++) {
        long s = sizes[i];
        sizes[i] = sizes[sizes.length - 1 - i];
        sizes[sizes.length - 1 - i] = s;
      }
    }
    return Nests.flatten(coords, sizes);
  }

  static Stmt averagePool(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = y.dtype();
    boolean includePad = ctx.attrs().getInt("count_include_pad", 0) == 1;
    Var n = ctx.var("n");
    Var ch = ctx.var("c");
    Window win = new Window(ctx, x, ctx.attrs().getInts("kernel_shape").orElseThrow(), "pooling");
    Local sum = ctx.local("sum", t);
    Local count = ctx.local("count", DType.I32);
    List<Expr> xIndex = new ArrayList<>(List.of(n, ch));
    xIndex.addAll(win.coordinates());
    List<Stmt> tap = new ArrayList<>();
    tap.add(win.guarded(Stmt.Block.of(
        new Stmt.Assign(sum, Exprs.add(sum, Exprs.load(x, xIndex))),
        includePad ? Stmt.Block.of() : new Stmt.Assign(count, Exprs.add(count, index(1))))));
    if (includePad) {
      // count_include_pad counts the taps within the padded input, not those past it (ceil mode).
      List<Expr> withinPadding = new ArrayList<>();
      for (int a = 0; a < win.kernel.length; a++) {
        Expr coord = win.coordinate(a);
        withinPadding.add(Nests.ge(coord, index(-win.placement.padBegin()[a])));
        withinPadding.add(Exprs.lt(coord, index(win.inSpatial[a] + win.placement.padEnd()[a])));
      }
      tap.add(Stmt.If.of(Nests.all(withinPadding), new Stmt.Assign(count, Exprs.add(count, index(1)))));
    }
    Stmt body = Stmt.Block.of(
        new Stmt.Let(sum, Nests.constant(t, 0)),
        new Stmt.Let(count, index(0)),
        win.overTaps(Stmt.Block.of(tap)),
        Nests.store(y, win.outputIndex(n, ch),
            new Expr.Binary(BinaryOp.DIV, sum, Exprs.cast(t, count))));
    return win.overOutput(List.of(n, ch), new long[] {y.dim(0), y.dim(1)}, body);
  }
}
