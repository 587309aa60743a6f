package dev.kiln.passes.lower.reduce;

import static dev.kiln.ir.loop.Exprs.index;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.ops.reduce.ReduceAxes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reductions lower to a nest over the kept dims with a local accumulator and an inner nest over
 * the reduced dims; axes come from {@link ReduceAxes} (attribute or constant input), as in the
 * reference. Real elements accumulate in their own type (f16/bf16 in f32); integer elements
 * exactly, except the reductions the reference computes in f64 (L2, LogSum, LogSumExp).
 * ArgMax/ArgMin keep the best value and its index, NaN winning as in the reference.
 */
public final class ReduceLowerings {
  private ReduceLowerings() {}

  private enum Kind { SUM, MEAN, MAX, MIN, PROD, L1, L2, SUM_SQUARE, LOG_SUM, LOG_SUM_EXP }

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    all.put("ReduceSum", ctx -> reduce(ctx, Kind.SUM));
    all.put("ReduceMean", ctx -> reduce(ctx, Kind.MEAN));
    all.put("ReduceMax", ctx -> reduce(ctx, Kind.MAX));
    all.put("ReduceMin", ctx -> reduce(ctx, Kind.MIN));
    all.put("ReduceProd", ctx -> reduce(ctx, Kind.PROD));
    all.put("ReduceL1", ctx -> reduce(ctx, Kind.L1));
    all.put("ReduceL2", ctx -> reduce(ctx, Kind.L2));
    all.put("ReduceSumSquare", ctx -> reduce(ctx, Kind.SUM_SQUARE));
    all.put("ReduceLogSum", ctx -> reduce(ctx, Kind.LOG_SUM));
    all.put("ReduceLogSumExp", ctx -> reduce(ctx, Kind.LOG_SUM_EXP));
    all.put("ArgMax", ctx -> argReduce(ctx, true));
    all.put("ArgMin", ctx -> argReduce(ctx, false));
    all.put("CumSum", ReduceLowerings::cumSum);
    all.put("TopK", ReduceLowerings::topK);
    return all;
  }

  /** Which input dims a reduction reduces; empty for the no-op (copy) case. */
  private static Optional<boolean[]> reducedDims(LoweringContext ctx) {
    List<Optional<Tensor>> inputs = new ArrayList<>();
    inputs.add(Optional.empty());
    if (ctx.hasInput(1)) {
      inputs.add(Optional.of(ctx.requireConstant(1, "axes")));
    }
    long[] axes = ReduceAxes.fromEvaluation(
        new EvalContext(ctx.node().op(), ctx.attrs(), ImmutableList.copyOf(inputs), 1));
    return ReduceAxes.reducedDims(ctx.attrs(), axes, ctx.input(0).rank());
  }

  private static Stmt reduce(LoweringContext ctx, Kind kind) {
    Buffer in = ctx.input(0);
    Buffer out = ctx.output(0);
    Optional<boolean[]> reduced = reducedDims(ctx);
    if (reduced.isEmpty()) {
      return Nests.pointwise(ctx, out, vars -> Exprs.load(in, vars));
    }
    DType t = in.dtype();
    boolean viaReal = !t.isFloating()
        && (kind == Kind.L2 || kind == Kind.LOG_SUM || kind == Kind.LOG_SUM_EXP);
    // An integer mean divides the exact sum, as the reference does: accumulate in 64 bits.
    boolean wideMean = kind == Kind.MEAN && !t.isFloating() && t != DType.U64;
    DType compute = viaReal ? DType.F64 : wideMean ? DType.I64 : t;
    Geometry g = new Geometry(ctx, in, reduced.get(), out.rank() == in.rank());
    Local acc = ctx.local("acc", compute);
    Expr x = Exprs.cast(compute, Exprs.load(in, g.inputIndex));
    List<Stmt> body = new ArrayList<>();
    Local max = null;
    if (kind == Kind.LOG_SUM_EXP) {
      // Shift by the maximum so exp cannot overflow; an infinite or NaN maximum is the answer.
      max = ctx.local("max", compute);
      Geometry first = g.secondPass(ctx);
      Expr y = Exprs.cast(compute, Exprs.load(in, first.inputIndex));
      body.add(new Stmt.Let(max, c(compute, Double.NEGATIVE_INFINITY)));
      body.add(first.overGroup(new Stmt.Assign(max, nanMax(y, max))));
    }
    body.add(new Stmt.Let(acc, initial(kind, compute)));
    Expr update = switch (kind) {
      case SUM, MEAN, LOG_SUM -> Exprs.add(acc, x);
      case MAX -> t.isFloating() ? nanMax(x, acc) : Nests.max(acc, x);
      case MIN -> t.isFloating() ? nanMin(x, acc) : Nests.min(acc, x);
      case PROD -> Exprs.mul(acc, x);
      case L1 -> Exprs.add(acc, t.isFloating() || t.isSigned() ? Exprs.call(Intrinsic.ABS, x) : x);
      case L2, SUM_SQUARE -> Exprs.add(acc, Exprs.mul(x, x));
      case LOG_SUM_EXP -> Exprs.add(acc, Exprs.call(Intrinsic.EXP, Exprs.sub(x, max)));
    };
    body.add(g.overGroup(new Stmt.Assign(acc, update)));
    Expr result = switch (kind) {
      case MEAN -> new Expr.Binary(BinaryOp.DIV, acc, Nests.longConstant(compute, g.groupSize));
      case L2 -> Exprs.call(Intrinsic.SQRT, acc);
      case LOG_SUM -> Exprs.call(Intrinsic.LOG, acc);
      case LOG_SUM_EXP -> {
        Expr finite = Exprs.and(new Expr.Binary(BinaryOp.EQ, max, max), Exprs.and(
            new Expr.Binary(BinaryOp.NE, max, c(compute, Double.POSITIVE_INFINITY)),
            new Expr.Binary(BinaryOp.NE, max, c(compute, Double.NEGATIVE_INFINITY))));
        yield Exprs.select(finite, Exprs.add(max, Exprs.call(Intrinsic.LOG, acc)), max);
      }
      default -> acc;
    };
    body.add(Nests.store(out, g.outputIndex, Exprs.cast(t, result)));
    return Nests.nest(g.keptVars, g.keptExtents, Stmt.Block.of(body));
  }

  private static Expr initial(Kind kind, DType t) {
    return switch (kind) {
      case MAX -> t.isFloating() ? c(t, Double.NEGATIVE_INFINITY) : Nests.longConstant(t, t.minValue());
      case MIN -> t.isFloating() ? c(t, Double.POSITIVE_INFINITY) : Nests.longConstant(t, t.maxValue());
      case PROD -> Nests.longConstant(t, 1);
      default -> Nests.longConstant(t, 0);
    };
  }

  /** The maximum with NaN propagating (a NaN element, or a NaN so far, stays NaN). */
  private static Expr nanMax(Expr x, Local acc) {
    return Exprs.select(new Expr.Binary(BinaryOp.GT, x, acc), x,
        Exprs.select(new Expr.Binary(BinaryOp.NE, x, x), x, acc));
  }

  private static Expr nanMin(Expr x, Local acc) {
    return Exprs.select(Exprs.lt(x, acc), x,
        Exprs.select(new Expr.Binary(BinaryOp.NE, x, x), x, acc));
  }

  private static Stmt argReduce(LoweringContext ctx, boolean max) {
    Buffer in = ctx.input(0);
    Buffer out = ctx.output(0);
    int axis = dev.kiln.ir.op.Shapes.normalizeAxis(
        ctx.attrs().getInt("axis", 0), in.rank(), "attribute 'axis'");
    boolean last = ctx.attrs().getInt("select_last_index", 0) == 1;
    boolean[] reduced = new boolean[in.rank()];
    reduced[axis] = true;
    Geometry g = new Geometry(ctx, in, reduced, out.rank() == in.rank());
    DType t = in.dtype();
    Local best = ctx.local("best", t);
    Local at = ctx.local("at", DType.I64);
    Var m = g.reducedVars.get(0);
    Expr v = Exprs.load(in, g.inputIndex);
    // Whether v replaces the best so far: strictly better, or equal with select_last_index;
    // for reals a NaN best is final and a NaN v wins (like the reference's comparison).
    Expr better = new Expr.Binary(max ? BinaryOp.GT : BinaryOp.LT, v, best);
    Expr replace = last
        ? Exprs.binary(BinaryOp.OR, better, new Expr.Binary(BinaryOp.EQ, v, best)) : better;
    if (t.isFloating()) {
      Expr bestIsNaN = new Expr.Binary(BinaryOp.NE, best, best);
      Expr vIsNaN = new Expr.Binary(BinaryOp.NE, v, v);
      replace = Exprs.and(new dev.kiln.ir.loop.Expr.Unary(dev.kiln.ir.loop.UnaryOp.NOT, bestIsNaN),
          Exprs.binary(BinaryOp.OR, vIsNaN, replace));
    }
    List<Expr> firstIndex = new ArrayList<>(g.inputIndex);
    firstIndex.set(axis, index(0));
    Stmt update = Stmt.If.of(replace, Stmt.Block.of(
        new Stmt.Assign(best, v), new Stmt.Assign(at, Exprs.cast(DType.I64, m))));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(best, Exprs.load(in, firstIndex)),
        new Stmt.Let(at, Nests.longConstant(DType.I64, 0)),
        Nests.loop(m, in.dim(axis), update),
        Nests.store(out, g.outputIndex, at));
    return Nests.nest(g.keptVars, g.keptExtents, body);
  }

  /**
   * CumSum: over the other dims, one serial walk along the axis (from its end with
   * {@code reverse}) with a running sum, stored after (inclusive) or before (exclusive) adding.
   */
  private static Stmt cumSum(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    Buffer out = ctx.output(0);
    int axis = dev.kiln.ir.op.Shapes.normalizeAxis(
        ctx.requireConstant(1, "axis").getLong(0), in.rank(), "input 1 (axis)");
    boolean exclusive = ctx.attrs().getInt("exclusive", 0) == 1;
    boolean reverse = ctx.attrs().getInt("reverse", 0) == 1;
    DType t = in.dtype();
    long n = in.dim(axis);
    List<Var> outer = new ArrayList<>();
    List<Long> extents = new ArrayList<>();
    for (int d = 0; d < in.rank(); d++) {
      if (d != axis) {
        outer.add(ctx.var("i" + d));
        extents.add(in.dim(d));
      }
    }
    Var step = ctx.var("j");
    List<Expr> idx = new ArrayList<>(outer);
    idx.add(axis, reverse ? Exprs.sub(index(n - 1), step) : step);
    Local sum = ctx.local("sum", t);
    Stmt add = new Stmt.Assign(sum, Exprs.add(sum, Exprs.load(in, idx)));
    Stmt store = Nests.store(out, idx, sum);
    Stmt walk = Nests.loop(step, n, exclusive ? Stmt.Block.of(store, add) : Stmt.Block.of(add, store));
    return Nests.nest(outer, extents.stream().mapToLong(Long::longValue).toArray(),
        Stmt.Block.of(new Stmt.Let(sum, Nests.longConstant(t, 0)), walk));
  }

  /**
   * TopK by K selection passes, without scratch memory: the elements are totally ordered (by
   * value, best first, then by index; a NaN above every number), and pass r picks the best
   * element that comes after pass r-1's pick in that order. O(K n) per row, for the small K
   * of exported models.
   */
  private static Stmt topK(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    Buffer values = ctx.output(0);
    Buffer indices = ctx.output(1);
    int axis = dev.kiln.ir.op.Shapes.normalizeAxis(
        ctx.attrs().getInt("axis", -1), in.rank(), "attribute 'axis'");
    boolean largest = ctx.attrs().getInt("largest", 1) == 1;
    DType t = in.dtype();
    long k = values.dim(axis);
    if (k == 0 || values.size() == 0) {
      // Nothing to select; empty nests still count as writing the (empty) outputs.
      return Stmt.Block.of(
          Nests.pointwise(ctx, values, vars -> Nests.longConstant(t, 0)),
          Nests.pointwise(ctx, indices, vars -> Nests.longConstant(DType.I64, 0)));
    }
    List<Var> outer = new ArrayList<>();
    List<Long> extents = new ArrayList<>();
    for (int d = 0; d < in.rank(); d++) {
      if (d != axis) {
        outer.add(ctx.var("i" + d));
        extents.add(in.dim(d));
      }
    }
    Local prevValue = ctx.local("prev", t);
    Local prevAt = ctx.local("prev_at", DType.I64);
    Local bestValue = ctx.local("best", t);
    Local bestAt = ctx.local("at", DType.I64);
    Var rank = ctx.var("r");
    Var j = ctx.var("j");
    List<Expr> inIndex = new ArrayList<>(outer);
    inIndex.add(axis, j);
    List<Expr> outIndex = new ArrayList<>(outer);
    outIndex.add(axis, rank);
    List<Expr> first = new ArrayList<>(outer);
    first.add(axis, index(0));
    Expr v = Exprs.load(in, inIndex);
    Expr at = Exprs.cast(DType.I64, j);
    Expr none = Nests.longConstant(DType.I64, -1);
    Expr eligible = Exprs.binary(BinaryOp.OR, new Expr.Binary(BinaryOp.EQ, prevAt, none),
        before(prevValue, prevAt, v, at, largest));
    Expr better = Exprs.binary(BinaryOp.OR, new Expr.Binary(BinaryOp.EQ, bestAt, none),
        before(v, at, bestValue, bestAt, largest));
    Stmt scan = Nests.loop(j, in.dim(axis), Stmt.If.of(Exprs.and(eligible, better),
        Stmt.Block.of(new Stmt.Assign(bestValue, v), new Stmt.Assign(bestAt, at))));
    Stmt pass = Stmt.Block.of(
        new Stmt.Let(bestValue, Exprs.load(in, first)),
        new Stmt.Let(bestAt, none),
        scan,
        Nests.store(values, outIndex, bestValue),
        Nests.store(indices, outIndex, bestAt),
        new Stmt.Assign(prevValue, bestValue),
        new Stmt.Assign(prevAt, bestAt));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(prevValue, Exprs.load(in, first)),
        new Stmt.Let(prevAt, none),
        Nests.loop(rank, k, pass));
    return Nests.nest(outer, extents.stream().mapToLong(Long::longValue).toArray(), body);
  }

  /** Whether element (a, i) comes before (b, j) in TopK's order. */
  private static Expr before(Expr a, Expr i, Expr b, Expr j, boolean largest) {
    Expr ahead = largest ? greater(a, b) : greater(b, a);
    Expr same = new Expr.Binary(BinaryOp.EQ, a, b);
    if (a.type().isFloating()) {
      same = Exprs.binary(BinaryOp.OR, same, Exprs.and(isNaN(a), isNaN(b)));
    }
    return Exprs.binary(BinaryOp.OR, ahead, Exprs.and(same, new Expr.Binary(BinaryOp.LT, i, j)));
  }

  /** {@code a > b} with a NaN above every number. */
  private static Expr greater(Expr a, Expr b) {
    Expr gt = new Expr.Binary(BinaryOp.GT, a, b);
    if (!a.type().isFloating()) {
      return gt;
    }
    return Exprs.binary(BinaryOp.OR, gt, Exprs.and(isNaN(a),
        new Expr.Unary(dev.kiln.ir.loop.UnaryOp.NOT, isNaN(b))));
  }

  private static Expr isNaN(Expr a) {
    return new Expr.Binary(BinaryOp.NE, a, a);
  }

  /** The loop structure of a reduction: kept dims outside, reduced dims inside. */
  private static final class Geometry {
    final List<Var> keptVars = new ArrayList<>();
    final List<Var> reducedVars = new ArrayList<>();
    final long[] keptExtents;
    final long[] reducedExtents;
    final List<Expr> inputIndex = new ArrayList<>();
    final List<Expr> outputIndex = new ArrayList<>();
    final long groupSize;

    private Geometry(Geometry kept, List<Var> reducedVars, List<Expr> inputIndex) {
      keptVars.addAll(kept.keptVars);
      this.reducedVars.addAll(reducedVars);
      keptExtents = kept.keptExtents;
      reducedExtents = kept.reducedExtents;
      this.inputIndex.addAll(inputIndex);
      outputIndex.addAll(kept.outputIndex);
      groupSize = kept.groupSize;
    }

    /** The same kept vars with fresh reduced vars, for another pass over each group. */
    Geometry secondPass(LoweringContext ctx) {
      List<Var> vars = new ArrayList<>();
      List<Expr> index = new ArrayList<>(inputIndex);
      for (int d = 0, r = 0; d < index.size(); d++) {
        if (r < reducedVars.size() && index.get(d).equals(reducedVars.get(r))) {
          Var v = ctx.var(reducedVars.get(r).name() + "b");
          vars.add(v);
          index.set(d, v);
          r++;
        }
      }
      return new Geometry(this, vars, index);
    }

    Geometry(LoweringContext ctx, Buffer in, boolean[] reduced, boolean keepDims) {
      List<Long> kept = new ArrayList<>();
      List<Long> red = new ArrayList<>();
      long size = 1;
      for (int d = 0; d < in.rank(); d++) {
        if (reduced[d]) {
          Var r = ctx.var("r" + d);
          reducedVars.add(r);
          red.add(in.dim(d));
          size *= in.dim(d);
          inputIndex.add(r);
          if (keepDims) {
            outputIndex.add(index(0));
          }
        } else {
          Var i = ctx.var("i" + d);
          keptVars.add(i);
          kept.add(in.dim(d));
          inputIndex.add(i);
          outputIndex.add(i);
        }
      }
      keptExtents = kept.stream().mapToLong(Long::longValue).toArray();
      reducedExtents = red.stream().mapToLong(Long::longValue).toArray();
      groupSize = size;
    }

    Stmt overGroup(Stmt body) {
      return Nests.nest(reducedVars, reducedExtents, body);
    }
  }

  private static Expr c(DType t, double v) {
    return Exprs.constant(t, v);
  }
}
