package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.ops.nn.SlidingWindow;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.List;

/**
 * The 2-D window geometry of a blocked (NCHWc) convolution or pooling over
 * {@code [N, Cb, H, W, b]}: where tap {@code k} of output {@code o} reads, whether any tap falls
 * in the padding, and the bordered copy of the input that lets a nest read every tap without a
 * conditional. Every nest here keeps the lane axis innermost, unit-stride in both the blocked
 * input and output, so the default schedule vectorizes it.
 */
final class NchwcWindow {
  final long[] in;
  final long[] out;
  final long[] kernel;
  final long[] strides;
  final long[] dilations;
  final long[] padBegin;
  final long[] padEnd;
  /** Whether some tap reads outside the input. */
  final boolean needsPadding;
  /** The bordered copy's extent along H and W: padBegin + everything the taps reach. */
  final long[] padded;

  NchwcWindow(long[] in, long[] out, long[] kernel, long[] strides, long[] dilations,
      long[] padBegin, long[] padEnd) {
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.strides = strides;
    this.dilations = dilations;
    this.padBegin = padBegin;
    this.padEnd = padEnd;
    padded = new long[2];
    boolean pad = false;
    for (int a = 0; a < 2; a++) {
      long last = (out[a] - 1) * strides[a] - padBegin[a] + (kernel[a] - 1) * dilations[a];
      pad |= out[a] > 0 && (padBegin[a] > 0 || last >= in[a]);
      padded[a] = padBegin[a] + Math.max(in[a], last + 1);
    }
    needsPadding = pad;
  }

  static NchwcWindow of(NchwcConvOperands op) {
    return new NchwcWindow(new long[] {op.inHeight(), op.inWidth()},
        new long[] {op.outHeight(), op.outWidth()}, op.kernel(), op.strides(), op.dilations(),
        op.padBegin(), op.padEnd());
  }

  /** The window of a node's attributes (Conv's or a pooling's) over blocked input {@code x}. */
  static NchwcWindow of(Attributes attrs, Buffer x, long[] kernel, String what) {
    SlidingWindow window = SlidingWindow.fromAttributes(attrs, kernel, what);
    long[] in = {x.dim(2), x.dim(3)};
    SlidingWindow.Placement p = window.place(in, 2, "input 0 (X)");
    return new NchwcWindow(in, p.outputShape(), kernel.clone(),
        new long[] {window.stride(0), window.stride(1)},
        new long[] {window.dilation(0), window.dilation(1)}, p.padBegin(), p.padEnd());
  }

  long taps() {
    return kernel[0] * kernel[1];
  }

  /** The input coordinate along axis {@code a} of tap {@code k} of output {@code o}, plus {@code shift}. */
  Expr coordinate(int a, Expr o, Expr k, long shift) {
    return Exprs.add(Exprs.add(Exprs.mul(o, index(strides[a])), Exprs.mul(k, index(dilations[a]))),
        index(shift));
  }

  /** The coordinate in the unpadded input (may be outside it). */
  Expr inputCoordinate(int a, Expr o, Expr k) {
    return coordinate(a, o, k, -padBegin[a]);
  }

  /** Whether the tap is inside the input, or an empty list when the geometry keeps every tap inside. */
  List<Expr> inside(Expr oh, Expr ow, Expr kh, Expr kw) {
    List<Expr> conditions = new ArrayList<>();
    Expr[] o = {oh, ow};
    Expr[] k = {kh, kw};
    for (int a = 0; a < 2; a++) {
      long lo = -padBegin[a];
      long hi = (out[a] - 1) * strides[a] - padBegin[a] + (kernel[a] - 1) * dilations[a];
      if (out[a] > 0 && (lo < 0 || hi >= in[a])) {
        conditions.add(Nests.inRange(inputCoordinate(a, o[a], k[a]), in[a]));
      }
    }
    return conditions;
  }

  /**
   * Appends to {@code stmts} the copy of {@code x} bordered with {@code fill} (0 for
   * convolution, -inf for max pooling) and returns it: {@code [N, Cb, Hp, Wp, b]}, X at
   * {@code [n, cb, h + padTop, w + padLeft, l]}.
   */
  Buffer bordered(LoweringContext ctx, Buffer x, double fill, List<Stmt> stmts) {
    Buffer p = ctx.scratch("bordered", x.dtype(), x.dim(0), x.dim(1), padded[0], padded[1], x.dim(4));
    // Only the border is filled (rows above and below, then columns left and right of X): the
    // interior is X's copy.
    long[][] rows = {{0, padBegin[0]}, {padBegin[0] + in[0], padded[0]}};
    for (long[] r : rows) {
      fill(ctx, p, r[0], r[1], 0, padded[1], fill, stmts);
    }
    long[][] cols = {{0, padBegin[1]}, {padBegin[1] + in[1], padded[1]}};
    for (long[] c : cols) {
      fill(ctx, p, padBegin[0], padBegin[0] + in[0], c[0], c[1], fill, stmts);
    }
    List<Var> c = Nests.vars(ctx, "q", 5);
    List<Expr> to = List.of(c.get(0), c.get(1), Exprs.add(c.get(2), index(padBegin[0])),
        Exprs.add(c.get(3), index(padBegin[1])), c.get(4));
    stmts.add(Nests.nest(c, x.shapeArray(), Nests.store(p, to, Exprs.load(x, c))));
    return p;
  }

  /**
   * An elementwise nest over blocked {@code y} with its kinds chosen here: one parallel loop over
   * the output rows {@code (n, cb, oh)}, a serial loop along the row, the lanes vectorized. The
   * default schedule leaves loops that are not serial alone; it would otherwise fuse the row loop
   * into the parallel one, and every 16-lane vector would recompute its coordinates by division.
   * {@code body} gets the index {@code [n, cb, oh, ow, l]}.
   */
  static Stmt rows(LoweringContext ctx, Buffer y, java.util.function.Function<List<Expr>, Stmt> body) {
    Var row = ctx.var("row");
    Var ow = ctx.var("ow");
    Var l = ctx.var("l");
    List<Expr> index = new ArrayList<>(
        Nests.unflatten(row, new long[] {y.dim(0), y.dim(1), y.dim(2)}));
    index.add(ow);
    index.add(l);
    Stmt s = new Stmt.For(l, y.dim(4), dev.kiln.ir.loop.LoopKind.VECTORIZED, body.apply(index));
    s = new Stmt.For(ow, y.dim(3), dev.kiln.ir.loop.LoopKind.SERIAL, s);
    return new Stmt.For(row, y.dim(0) * y.dim(1) * y.dim(2), dev.kiln.ir.loop.LoopKind.PARALLEL, s);
  }

  /** Appends {@code p[n, cb, h, w, l] = value} for h in [h0, h1), w in [w0, w1), if not empty. */
  private static void fill(LoweringContext ctx, Buffer p, long h0, long h1, long w0, long w1,
      double value, List<Stmt> stmts) {
    if (h1 <= h0 || w1 <= w0) {
      return;
    }
    List<Var> f = Nests.vars(ctx, "p", 5);
    List<Expr> at = List.of(f.get(0), f.get(1), Exprs.add(f.get(2), index(h0)),
        Exprs.add(f.get(3), index(w0)), f.get(4));
    stmts.add(Nests.nest(f, new long[] {p.dim(0), p.dim(1), h1 - h0, w1 - w0, p.dim(4)},
        Nests.store(p, at, Exprs.constant(p.dtype(), value))));
  }
}
