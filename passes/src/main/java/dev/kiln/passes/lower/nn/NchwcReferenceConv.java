package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
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
 * The NCHWc convolution every geometry has: the reference order, an accumulator per output
 * {@code (n, mb, oh, ow, l)} over input channels and taps, with W and B packed by
 * {@link NchwcPacking} (so the lanes past M compute 0) and the padding a zero-bordered copy of X
 * when W is a compile-time constant of finite values, else an {@code If} per tap. Residual and
 * activation follow in a second pass over Y. Correct, not fast: the fallback behind the
 * dedicated kernels.
 */
public final class NchwcReferenceConv {
  private NchwcReferenceConv() {}

  /** Every blocked input; an NCHW input is the direct convolution's alone. */
  public static boolean supports(NchwcConvOperands op) {
    return !op.nchwInput();
  }

  public static Stmt lower(LoweringContext ctx, NchwcConvOperands op) {
    if (!supports(op)) {
      throw new IllegalArgumentException("NchwcReferenceConv takes a blocked input, got NCHW " + op.x()
          + " (only NchwcDirectConv computes an NchwcConv of an NCHW input)");
    }
    NchwcWindow win = NchwcWindow.of(op);
    List<Stmt> stmts = new ArrayList<>();
    Buffer w = NchwcPacking.weights(ctx, op, stmts);
    Optional<Buffer> bias = NchwcPacking.bias(ctx, op, stmts);
    boolean border = win.needsPadding && NchwcPacking.constantAndFinite(op.constantWeights())
        && op.y().size() > 0;
    Buffer src = border ? win.bordered(ctx, op.x(), 0, stmts) : op.x();
    long[] shift = border ? new long[2] : new long[] {-win.padBegin[0], -win.padBegin[1]};
    long b = op.block();
    long m = op.outChannels();
    long[] extents = op.y().shapeArray();
    if (m / b > 0) {
      extents[1] = m / b;
      stmts.add(outputs(ctx, op, win, w, bias, src, shift, border, extents, 0));
    }
    if (m % b > 0) {
      // The partial last block: its channels, then zeros in the lanes past M (which the sum
      // would fill with 0 * x, NaN for an infinite x, where the layout wants 0).
      extents[1] = 1;
      extents[4] = m % b;
      stmts.add(outputs(ctx, op, win, w, bias, src, shift, border, extents, m / b));
      List<Var> z = Nests.vars(ctx, "z", 5);
      extents[4] = b - m % b;
      stmts.add(Nests.nest(z, extents, Nests.store(op.y(), List.of(z.get(0), index(m / b),
          z.get(2), z.get(3), Exprs.add(z.get(4), index(m % b))), Exprs.constant(DType.F32, 0))));
    }
    ConvEpilogue epilogue = new ConvEpilogue(op.bias(), op.residual(), op.activation());
    if (epilogue.hasResidualOrActivation(DType.F32)) {
      List<Var> e = Nests.vars(ctx, "e", 5);
      Optional<Expr> z = op.residual().map(r -> Exprs.load(r, e));
      stmts.add(Nests.nest(e, op.y().shapeArray(),
          Nests.store(op.y(), e, epilogue.afterBias(Exprs.load(op.y(), e), z))));
    }
    return NchwcPacking.block(stmts);
  }

  /** The accumulator nest over {@code extents} of Y, output blocks from {@code firstBlock} on. */
  private static Stmt outputs(LoweringContext ctx, NchwcConvOperands op, NchwcWindow win, Buffer w,
      Optional<Buffer> bias, Buffer src, long[] shift, boolean border, long[] extents,
      long firstBlock) {
    List<Var> o = Nests.vars(ctx, "o", 5);
    Expr mb = Exprs.add(o.get(1), index(firstBlock));
    Var c = ctx.var("c");
    Var kh = ctx.var("kh");
    Var kw = ctx.var("kw");
    long b = op.block();
    Expr ih = win.coordinate(0, o.get(2), kh, shift[0]);
    Expr iw = win.coordinate(1, o.get(3), kw, shift[1]);
    List<Expr> xIndex = op.depthwise()
        ? List.of(o.get(0), mb, ih, iw, o.get(4))
        : List.of(o.get(0), Nests.floorDiv(c, index(b)), ih, iw, Nests.floorMod(c, index(b)));
    Local acc = ctx.local("acc", DType.F32);
    Stmt tap = new Stmt.Assign(acc, Exprs.add(acc, Exprs.mul(Exprs.load(src, xIndex),
        Exprs.load(w, mb, c, kh, kw, o.get(4)))));
    List<Expr> inside = border ? List.of() : win.inside(o.get(2), o.get(3), kh, kw);
    if (!inside.isEmpty()) {
      tap = Stmt.If.of(Nests.all(inside), tap);
    }
    Expr init = bias.<Expr>map(p -> Exprs.load(p, mb, o.get(4)))
        .orElse(Exprs.constant(DType.F32, 0));
    List<Expr> yIndex = List.of(o.get(0), mb, o.get(2), o.get(3), o.get(4));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, init),
        Nests.loop(c, op.w().dim(1), Nests.nest(List.of(kh, kw), win.kernel, tap)),
        Nests.store(op.y(), yIndex, acc));
    return Nests.nest(o, extents.clone(), body);
  }
}
