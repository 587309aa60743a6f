package dev.kiln.passes.lower.elementwise;

import static dev.kiln.passes.lower.Nests.loadBroadcast;
import static dev.kiln.passes.lower.Nests.longConstant;

import dev.kiln.ir.loop.BinaryOp;
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
import java.util.List;

/**
 * Pow: real {@code pow} when either operand is real (computed in the base's type, or in f64 and
 * truncated for an integer base); exact exponentiation by squaring when both are integers, with a
 * negative exponent truncating {@code 1 / x^-n} toward zero (so 0 to a negative power divides by
 * zero, an error as in the reference).
 */
final class PowLowering {
  private PowLowering() {}

  static Stmt lower(LoweringContext ctx) {
    Buffer out = ctx.output(0);
    DType b = ctx.input(0).dtype();
    DType e = ctx.input(1).dtype();
    if (b.isFloating() || e.isFloating()) {
      return ElementwiseLowerings.broadcastNest(ctx, in -> {
        DType compute = b.isFloating() ? b : DType.F64;
        Expr real = Exprs.call(
            Intrinsic.POW, Exprs.cast(compute, in.get(0)), Exprs.cast(compute, in.get(1)));
        return Exprs.cast(b, real);
      });
    }
    List<Var> vars = Nests.vars(ctx, "i", out.rank());
    Local x = ctx.local("x", b);
    Local n = ctx.local("n", DType.I64);
    Local result = ctx.local("result", b);
    Local square = ctx.local("square", b);
    Var step = ctx.var("s");
    Expr zero = longConstant(DType.I64, 0);
    Expr two = longConstant(DType.I64, 2);
    Stmt squaring = Stmt.If.of(new Expr.Binary(BinaryOp.GT, n, zero), Stmt.Block.of(
        Stmt.If.of(new Expr.Binary(BinaryOp.NE, new Expr.Binary(BinaryOp.REM, n, two), zero),
            new Stmt.Assign(result, Exprs.mul(result, square))),
        new Stmt.Assign(square, Exprs.mul(square, square)),
        new Stmt.Assign(n, new Expr.Binary(BinaryOp.DIV, n, two))));
    Stmt positive = Stmt.Block.of(
        new Stmt.Let(result, longConstant(b, 1)),
        new Stmt.Let(square, x),
        Nests.loop(step, 64, squaring));
    Stmt body = positive;
    if (e.isSigned()) {
      // x^-k: 1 for x = 1, +-1 for x = -1 by parity, 0 for |x| > 1 -- all of them 1 / x^k
      // truncated; 1 / x also divides by zero for x = 0, the reference's error.
      Expr odd = new Expr.Binary(BinaryOp.NE, new Expr.Binary(BinaryOp.REM, n, two), zero);
      Stmt negative = new Stmt.Assign(result, Exprs.select(
          Nests.eq(x, longConstant(b, -1)),
          Exprs.select(odd, longConstant(b, -1), longConstant(b, 1)),
          new Expr.Binary(BinaryOp.DIV, longConstant(b, 1), x)));
      body = Stmt.Block.of(
          new Stmt.Let(result, longConstant(b, 1)),
          new Stmt.Let(square, x),
          new Stmt.If(Exprs.lt(n, zero), negative,
              java.util.Optional.of(Nests.loop(step, 64, squaring))));
    }
    return Nests.nest(vars, out.shapeArray(), Stmt.Block.of(
        new Stmt.Let(x, loadBroadcast(ctx.input(0), vars)),
        new Stmt.Let(n, Exprs.cast(DType.I64, loadBroadcast(ctx.input(1), vars))),
        body,
        Nests.store(out, vars, result)));
  }
}
