package dev.kiln.passes.lower.shape;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Operators whose outputs do not depend on input data: Constant, Shape, Size, ConstantOfShape and
 * Range. BindShapes folds them to constants whenever they are small (the usual case), so these
 * lowerings run only for large ones or for graphs lowered without binding: a fill nest for a
 * splat (ConstantOfShape, a uniform Constant), {@code start + i * delta} for Range, and one store
 * per element for the rest (values the operator's own inference computes).
 */
final class ValueLowerings {
  private ValueLowerings() {}

  static Map<String, OpLowering> all() {
    return Map.of(
        "Constant", ctx -> storeAll(ctx, ctx.output(0), evaluate(ctx)),
        "Shape", ctx -> storeAll(ctx, ctx.output(0), fold(ctx)),
        "Size", ctx -> storeAll(ctx, ctx.output(0), fold(ctx)),
        "ConstantOfShape", ValueLowerings::constantOfShape,
        "Range", ValueLowerings::range);
  }

  /** The output the operator's own compile-time folding computes from the static input types. */
  private static Tensor fold(LoweringContext ctx) {
    InferenceContext ic = ctx.inference();
    OpSchema schema = OpRegistry.standard().lookup(ctx.node().op()).orElseThrow();
    return schema.foldWithoutConstants(ic).orElseThrow(() -> new IllegalStateException(
        ctx.node().describe() + ": no compile-time value for static input shapes")).get(0);
  }

  /** The output of an operator without inputs, by its reference semantics. */
  private static Tensor evaluate(LoweringContext ctx) {
    OpSchema schema = OpRegistry.standard().lookup(ctx.node().op()).orElseThrow();
    return schema.evaluate(new EvalContext(ctx.node().op(), ctx.attrs(),
        com.google.common.collect.ImmutableList.of(), ctx.outputCount())).get(0);
  }

  private static Stmt constantOfShape(LoweringContext ctx) {
    Tensor value = ctx.attrs().getTensor("value").orElse(Tensor.zeros(DType.F32, 1));
    Expr v = element(value, 0);
    return Nests.pointwise(ctx, ctx.output(0), vars -> v);
  }

  /** {@code start + i * delta}: reals in f64 rounded on store, integers exact, as the reference. */
  private static Stmt range(LoweringContext ctx) {
    Buffer out = ctx.output(0);
    DType t = out.dtype();
    DType compute = t.isFloating() ? DType.F64 : DType.I64;
    Expr start = Exprs.cast(compute, Nests.loadScalar(ctx.input(0)));
    Expr delta = Exprs.cast(compute, Nests.loadScalar(ctx.input(2)));
    return Nests.pointwise(ctx, out, vars ->
        Exprs.cast(t, Exprs.add(start, Exprs.mul(Exprs.cast(compute, vars.get(0)), delta))));
  }

  /** A fill nest when every element is equal, else one store per element. */
  static Stmt storeAll(LoweringContext ctx, Buffer out, Tensor value) {
    boolean uniform = true;
    for (long i = 1; i < value.size() && uniform; i++) {
      uniform = value.getLong(i) == value.getLong(0) && value.getDouble(i) == value.getDouble(0);
    }
    if (uniform) {
      Expr v = value.size() > 0 ? element(value, 0) : Nests.longConstant(out.dtype(), 0);
      return Nests.pointwise(ctx, out, vars -> v);
    }
    List<Stmt> stores = new ArrayList<>();
    long[] shape = out.shapeArray();
    for (int i = 0; i < value.size(); i++) {
      List<Expr> idx = new ArrayList<>();
      long rest = i;
      long[] coords = new long[shape.length];
      for (int d = shape.length - 1; d >= 0; d--) {
        coords[d] = rest % shape[d];
        rest /= shape[d];
      }
      for (long c : coords) {
        idx.add(index(c));
      }
      stores.add(Nests.store(out, idx, element(value, i)));
    }
    return Stmt.Block.of(stores);
  }

  private static Expr element(Tensor t, long i) {
    return t.dtype().isFloating()
        ? new Expr.FloatConst(t.dtype(), t.getDouble(i))
        : new Expr.IntConst(t.dtype(), t.getLong(i));
  }

}
