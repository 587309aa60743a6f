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
 * Depthwise NCHWc convolution, vectorized over the b channels of a block at any stride:
 * {@code y[n, cb, oh, ow, l] = act(b[cb, l] + sum over taps of
 * x[n, cb, oh * s + kh * d, ow * s + kw * d, l] * w[cb, kh, kw, l] + z[n, cb, oh, ow, l])}
 * over a zero-bordered copy of X (no conditional) with W and B packed by {@link NchwcPacking}.
 * For up to {@link ConvLowerings#MAX_SPELLED_TAPS} taps the sum is one expression per output, in
 * a nest whose kinds the lowering sets ({@link NchwcWindow#rows}: parallel over output rows,
 * serial along a row, the 16 lanes vectorized with the sum in registers); beyond that an
 * accumulator loop over the taps, scheduled by default.
 */
public final class NchwcDepthwiseConv {
  private NchwcDepthwiseConv() {}

  /**
   * Depthwise, and either no tap in the padding or W a compile-time constant of finite values
   * (so the zero border adds exactly 0, as the reference's skipped taps).
   */
  public static boolean supports(NchwcConvOperands op) {
    return op.depthwise() && op.y().size() > 0 && op.x().size() > 0
        && (!NchwcWindow.of(op).needsPadding || NchwcPacking.constantAndFinite(op.constantWeights()));
  }

  public static Stmt lower(LoweringContext ctx, NchwcConvOperands op) {
    NchwcWindow win = NchwcWindow.of(op);
    List<Stmt> stmts = new ArrayList<>();
    Buffer w = NchwcPacking.weights(ctx, op, stmts);
    Optional<Buffer> bias = NchwcPacking.bias(ctx, op, stmts);
    Buffer src = win.needsPadding ? win.bordered(ctx, op.x(), 0, stmts) : op.x();
    long[] shift = win.needsPadding ? new long[2] : new long[] {-win.padBegin[0], -win.padBegin[1]};
    ConvEpilogue epilogue = new ConvEpilogue(op.bias(), op.residual(), op.activation());
    if (win.taps() <= ConvLowerings.MAX_SPELLED_TAPS) {
      stmts.add(NchwcWindow.rows(ctx, op.y(), at -> {
        Expr sum = bias.<Expr>map(b -> Exprs.load(b, at.get(1), at.get(4)))
            .orElse(Exprs.constant(DType.F32, 0));
        for (long kh = 0; kh < win.kernel[0]; kh++) {
          for (long kw = 0; kw < win.kernel[1]; kw++) {
            sum = Exprs.add(sum, product(win, src, w, at, index(kh), index(kw), shift));
          }
        }
        Optional<Expr> zAt = op.residual().map(r -> Exprs.load(r, at));
        return Nests.store(op.y(), at, epilogue.afterBias(sum, zAt));
      }));
      return NchwcPacking.block(stmts);
    }
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

  private static Expr product(NchwcWindow win, Buffer src, Buffer w, List<? extends Expr> o,
      Expr kh, Expr kw, long[] shift) {
    Expr x = Exprs.load(src, o.get(0), o.get(1), win.coordinate(0, o.get(2), kh, shift[0]),
        win.coordinate(1, o.get(3), kw, shift[1]), o.get(4));
    return Exprs.mul(x, Exprs.load(w, o.get(1), index(0), kh, kw, o.get(4)));
  }
}
