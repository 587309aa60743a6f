package dev.kiln.passes.lower.elementwise;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static dev.kiln.passes.lower.Nests.loadBroadcast;
import static dev.kiln.passes.lower.Nests.longConstant;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Elementwise operators lower to one loop nest over the output; broadcasting is index arithmetic
 * (an input dim of size 1 is read at index 0). Semantics mirror {@code ir.ops.elementwise}.
 */
public final class ElementwiseLowerings {
  private ElementwiseLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    UnaryFunctions.all().forEach((op, f) -> all.put(op, ctx -> Nests.pointwise(ctx, ctx.output(0),
        vars -> f.apply(load(ctx.input(0), vars), ctx.input(0).dtype(), ctx.attrs()))));
    binary(all, "Add", (x, y) -> Exprs.add(x, y));
    binary(all, "Sub", (x, y) -> Exprs.sub(x, y));
    binary(all, "Mul", (x, y) -> Exprs.mul(x, y));
    binary(all, "Div", (x, y) -> new Expr.Binary(BinaryOp.DIV, x, y));
    all.put("Mod", ctx -> {
      // fmod = 1 (and every unsigned type) keeps the dividend's sign; fmod = 0 the divisor's.
      DType t = ctx.input(0).dtype();
      boolean dividendSign = ctx.attrs().getInt("fmod", 0) == 1 || !t.isSigned();
      BinaryOp op = dividendSign ? BinaryOp.REM : BinaryOp.FLOOR_MOD;
      return broadcastNest(ctx, in -> new Expr.Binary(op, in.get(0), in.get(1)));
    });
    all.put("BitShift", ElementwiseLowerings::bitShift);
    variadic(all, "Max", (x, y) -> Nests.max(x, y));
    variadic(all, "Min", (x, y) -> Nests.min(x, y));
    variadic(all, "Sum", Exprs::add);
    all.put("Mean", ctx -> broadcastNest(ctx, in -> new Expr.Binary(BinaryOp.DIV,
        in.stream().reduce(Exprs::add).orElseThrow(),
        UnaryFunctions.c(ctx.input(0).dtype(), ctx.inputCount()))));
    comparison(all, "Equal", BinaryOp.EQ);
    comparison(all, "Greater", BinaryOp.GT);
    comparison(all, "Less", BinaryOp.LT);
    comparison(all, "GreaterOrEqual", BinaryOp.GE);
    comparison(all, "LessOrEqual", BinaryOp.LE);
    comparison(all, "And", BinaryOp.AND);
    comparison(all, "Or", BinaryOp.OR);
    comparison(all, "Xor", BinaryOp.XOR);
    all.put("Pow", PowLowering::lower);
    all.put("Clip", ElementwiseLowerings::clip);
    all.put("PRelu", ctx -> broadcastNest(ctx, in -> {
      Expr x = in.get(0);
      DType t = x.type();
      if (!t.isFloating() && !t.isSigned()) {
        return x;
      }
      return Exprs.select(Exprs.lt(x, longConstant(t, 0)), Exprs.mul(x, in.get(1)), x);
    }));
    all.put("Where", ctx -> broadcastNest(ctx, in -> Exprs.select(in.get(0), in.get(1), in.get(2))));
    all.put("Cast", ctx -> convert(ctx, ctx.output(0).dtype()));
    all.put("CastLike", ctx -> convert(ctx, ctx.input(1).dtype()));
    all.put("Identity", ctx -> Nests.pointwise(ctx, ctx.output(0), vars -> load(ctx.input(0), vars)));
    all.put("Dropout", ctx -> {
      // Inference: the data passes through and the mask, when asked for, is all true.
      List<Stmt> body = new ArrayList<>();
      body.add(Nests.pointwise(ctx, ctx.output(0), vars -> load(ctx.input(0), vars)));
      if (ctx.outputCount() == 2) {
        body.add(Nests.pointwise(ctx, ctx.output(1), vars -> new Expr.IntConst(DType.BOOL, 1)));
      }
      return Stmt.Block.of(body);
    });
    return all;
  }

  private static void binary(Map<String, OpLowering> all, String op, BiFunction<Expr, Expr, Expr> f) {
    all.put(op, ctx -> broadcastNest(ctx, in -> f.apply(in.get(0), in.get(1))));
  }

  private static void comparison(Map<String, OpLowering> all, String op, BinaryOp cmp) {
    all.put(op, ctx -> broadcastNest(ctx, in -> new Expr.Binary(cmp, in.get(0), in.get(1))));
  }

  /** Max, Min, Sum: the inputs folded left to right, as the reference does. */
  private static void variadic(Map<String, OpLowering> all, String op, BiFunction<Expr, Expr, Expr> f) {
    all.put(op, ctx -> broadcastNest(ctx, in -> in.stream().reduce(f::apply).orElseThrow()));
  }

  /** A nest over the output computing {@code f} of every input's broadcast element. */
  static Stmt broadcastNest(LoweringContext ctx, java.util.function.Function<List<Expr>, Expr> f) {
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      List<Expr> in = new ArrayList<>();
      for (int i = 0; i < ctx.inputCount(); i++) {
        in.add(loadBroadcast(ctx.input(i), vars));
      }
      return f.apply(in);
    });
  }

  /** Clip: {@code min(max(x, lo), hi)} with optional scalar bounds. */
  private static Stmt clip(LoweringContext ctx) {
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      Expr v = load(ctx.input(0), vars);
      if (ctx.hasInput(1)) {
        v = Nests.max(v, scalar(ctx.input(1)));
      }
      if (ctx.hasInput(2)) {
        v = Nests.min(v, scalar(ctx.input(2)));
      }
      return v;
    });
  }

  private static Expr scalar(Buffer b) {
    List<Expr> zeros = new ArrayList<>();
    for (int d = 0; d < b.rank(); d++) {
      zeros.add(index(0));
    }
    return load(b, zeros);
  }

  private static Stmt convert(LoweringContext ctx, DType to) {
    return Nests.pointwise(ctx, ctx.output(0), vars -> Exprs.cast(to, load(ctx.input(0), vars)));
  }

  /**
   * BitShift on unsigned integers. Loop IR has no shift operator, so a shift is repeated
   * doubling or halving, 64 steps guarded by the shift amount: exact, and 0 for shifts of the
   * width or more, as the reference.
   */
  private static Stmt bitShift(LoweringContext ctx) {
    boolean left = ctx.attrs().getString("direction", "LEFT").equals("LEFT");
    Buffer out = ctx.output(0);
    DType t = out.dtype();
    List<Var> vars = Nests.vars(ctx, "i", out.rank());
    Local r = ctx.local("r", t);
    Var s = ctx.var("s");
    Expr amount = loadBroadcast(ctx.input(1), vars);
    Expr two = longConstant(t, 2);
    Stmt step = Stmt.If.of(Exprs.lt(Exprs.cast(t, s), amount),
        new Stmt.Assign(r, left ? Exprs.mul(r, two) : new Expr.Binary(BinaryOp.DIV, r, two)));
    return Nests.nest(vars, out.shapeArray(), Stmt.Block.of(
        new Stmt.Let(r, loadBroadcast(ctx.input(0), vars)),
        Nests.loop(s, 64, step),
        Nests.store(out, vars, r)));
  }

}
