package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Convolution, pooling, softmax and normalization. Window operators are in
 * {@link WindowLowerings}; the rest are multi-pass nests with locals: a statistics pass (max,
 * sum, mean, variance) over each group, then a pass that writes the group. Reals compute in
 * their own type (f16/bf16 in f32), as loop-IR arithmetic does.
 */
public final class NnLowerings {
  private NnLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    all.put("Conv", ConvLowerings::conv);
    all.put("MaxPool", WindowLowerings::maxPool);
    all.put("AveragePool", WindowLowerings::averagePool);
    all.put("GlobalAveragePool", ctx -> globalPool(ctx, false));
    all.put("GlobalMaxPool", ctx -> globalPool(ctx, true));
    all.put("BatchNormalization", NnLowerings::batchNorm);
    all.put("InstanceNormalization", NnLowerings::instanceNorm);
    all.put("LayerNormalization", NnLowerings::layerNorm);
    all.put("LRN", NnLowerings::lrn);
    all.put("MeanVarianceNormalization", NnLowerings::meanVarianceNorm);
    all.put("Softmax", ctx -> softmax(ctx, false));
    all.put("LogSoftmax", ctx -> softmax(ctx, true));
    all.put("Hardmax", NnLowerings::hardmax);
    all.putAll(NchwcLowerings.all());
    return all;
  }

  /** A group of an [outer..., inner...] split: outer vars index the group, inner vars its members. */
  private record Split(List<Var> outer, long[] outerExtents, long[] innerExtents) {
    Stmt overOuter(Stmt body) {
      return Nests.nest(outer, outerExtents, body);
    }

    /** A fresh pass over the members; {@code body} gets the full index. */
    Stmt overInner(LoweringContext ctx, java.util.function.Function<List<Expr>, Stmt> body) {
      List<Var> inner = Nests.vars(ctx, "j", innerExtents.length);
      List<Expr> full = new ArrayList<>(outer);
      full.addAll(inner);
      return Nests.nest(inner, innerExtents, body.apply(full));
    }

    long innerSize() {
      long n = 1;
      for (long d : innerExtents) {
        n *= d;
      }
      return n;
    }
  }

  private static Split split(LoweringContext ctx, Buffer x, int axis) {
    long[] shape = x.shapeArray();
    return new Split(Nests.vars(ctx, "i", axis), java.util.Arrays.copyOfRange(shape, 0, axis),
        java.util.Arrays.copyOfRange(shape, axis, shape.length));
  }

  private static Stmt globalPool(LoweringContext ctx, boolean max) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = y.dtype();
    Split s = split(ctx, x, 2);
    Local acc = ctx.local("acc", t);
    Stmt pass = s.overInner(ctx, idx -> {
      Expr v = load(x, idx);
      return new Stmt.Assign(acc, max ? nanMax(v, acc) : Exprs.add(acc, v));
    });
    List<Expr> outIndex = new ArrayList<>(s.outer());
    for (int d = 2; d < y.rank(); d++) {
      outIndex.add(index(0));
    }
    Expr result = max ? acc : div(acc, Nests.constant(t, s.innerSize()));
    return s.overOuter(Stmt.Block.of(
        new Stmt.Let(acc, Nests.constant(t, max ? Double.NEGATIVE_INFINITY : 0)),
        pass,
        Nests.store(y, outIndex, result)));
  }

  private static Stmt batchNorm(LoweringContext ctx) {
    if (ctx.attrs().getInt("training_mode", 0) != 0) {
      return batchNormTraining(ctx);
    }
    Buffer x = ctx.input(0);
    DType t = x.dtype();
    Expr epsilon = Nests.constant(t, ctx.attrs().getFloat("epsilon", 1e-5f));
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      Expr c = vars.get(1);
      Expr normalized = div(Exprs.sub(load(x, vars), load(ctx.input(3), c)),
          Exprs.call(Intrinsic.SQRT, Exprs.add(load(ctx.input(4), c), epsilon)));
      return Exprs.add(Exprs.mul(normalized, load(ctx.input(1), c)), load(ctx.input(2), c));
    });
  }

  /**
   * Training-mode BatchNormalization: per channel, the batch mean and population variance over
   * N and the spatial dims (two passes, as the reference), then Y, then the running statistics
   * {@code input * momentum + batch * (1 - momentum)} when the node has those outputs.
   */
  private static Stmt batchNormTraining(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    DType t = x.dtype();
    long[] shape = x.shapeArray();
    Var c = ctx.var("c");
    long[] otherExtents = new long[shape.length - 1];
    long count = 1;
    for (int d = 0, k = 0; d < shape.length; d++) {
      if (d != 1) {
        otherExtents[k++] = shape[d];
        count *= shape[d];
      }
    }
    // A fresh pass over N and the spatial dims of channel c; body gets X's full index.
    Function<Function<List<Expr>, Stmt>, Stmt> overChannel =
        body -> {
          List<Var> others = Nests.vars(ctx, "j", otherExtents.length);
          List<Expr> full = new ArrayList<>(others);
          full.add(1, c);
          return Nests.nest(others, otherExtents, body.apply(full));
        };
    Local sum = ctx.local("sum", t);
    Local mean = ctx.local("mean", t);
    Local squares = ctx.local("squares", t);
    Local variance = ctx.local("var", t);
    Local inv = ctx.local("inv_std_dev", t);
    Expr n = Nests.constant(t, count);
    Expr epsilon = Nests.constant(t, ctx.attrs().getFloat("epsilon", 1e-5f));
    List<Stmt> body = new ArrayList<>(List.of(
        new Stmt.Let(sum, Nests.constant(t, 0)),
        overChannel.apply(idx -> new Stmt.Assign(sum, Exprs.add(sum, load(x, idx)))),
        new Stmt.Let(mean, div(sum, n)),
        new Stmt.Let(squares, Nests.constant(t, 0)),
        overChannel.apply(idx -> {
          Expr d = Exprs.sub(load(x, idx), mean);
          return new Stmt.Assign(squares, Exprs.add(squares, Exprs.mul(d, d)));
        }),
        new Stmt.Let(variance, div(squares, n)),
        new Stmt.Let(inv, div(Nests.constant(t, 1),
            Exprs.call(Intrinsic.SQRT, Exprs.add(variance, epsilon)))),
        overChannel.apply(idx -> Nests.store(ctx.output(0), idx, Exprs.add(
            Exprs.mul(Exprs.mul(Exprs.sub(load(x, idx), mean), inv),
                Exprs.cast(t, load(ctx.input(1), c))),
            Exprs.cast(t, load(ctx.input(2), c)))))));
    double momentum = ctx.attrs().getFloat("momentum", 0.9f);
    Local[] batch = {mean, variance};
    for (int i = 1; i < ctx.outputCount(); i++) {
      Buffer running = ctx.output(i);
      DType r = running.dtype();
      body.add(Nests.store(running, List.of(c), Exprs.add(
          Exprs.mul(load(ctx.input(2 + i), c), Nests.constant(r, momentum)),
          Exprs.mul(Exprs.cast(r, batch[i - 1]), Nests.constant(r, 1 - momentum)))));
    }
    return Nests.loop(c, shape[1], Stmt.Block.of(body));
  }

  /**
   * The statistics of one group: {@code mean} and {@code invStdDev = 1 / sqrt(var + epsilon)}
   * with the variance from a second pass over the deviations (as the reference does).
   */
  private static List<Stmt> statistics(
      LoweringContext ctx, Buffer x, Split s, Local mean, Local invStdDev, double epsilon) {
    DType t = mean.type();
    Local sum = ctx.local("sum", t);
    Local squares = ctx.local("squares", t);
    Expr n = Nests.constant(t, s.innerSize());
    return List.of(
        new Stmt.Let(sum, Nests.constant(t, 0)),
        s.overInner(ctx, idx -> new Stmt.Assign(sum, Exprs.add(sum, load(x, idx)))),
        new Stmt.Let(mean, div(sum, n)),
        new Stmt.Let(squares, Nests.constant(t, 0)),
        s.overInner(ctx, idx -> {
          Expr d = Exprs.sub(load(x, idx), mean);
          return new Stmt.Assign(squares, Exprs.add(squares, Exprs.mul(d, d)));
        }),
        new Stmt.Let(invStdDev, div(Nests.constant(t, 1),
            Exprs.call(Intrinsic.SQRT, Exprs.add(div(squares, n), Nests.constant(t, epsilon))))));
  }

  /**
   * MeanVarianceNormalization: over the kept dims, the mean and population variance of the
   * group (two passes), then {@code (x - mean) / (sqrt(var) + 1e-9)} as the ONNX function body.
   */
  private static Stmt meanVarianceNorm(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    DType t = x.dtype();
    long[] shape = x.shapeArray();
    boolean[] reduced = new boolean[shape.length];
    for (long a : ctx.attrs().getInts("axes").orElse(new long[] {0, 2, 3})) {
      reduced[Shapes.normalizeAxis(a, shape.length, "attribute 'axes'")] = true;
    }
    List<Var> kept = new ArrayList<>();
    List<Long> keptExtents = new ArrayList<>();
    List<Long> reducedExtents = new ArrayList<>();
    long count = 1;
    for (int d = 0; d < shape.length; d++) {
      if (reduced[d]) {
        reducedExtents.add(shape[d]);
        count *= shape[d];
      } else {
        kept.add(ctx.var("i" + d));
        keptExtents.add(shape[d]);
      }
    }
    long[] groupExtents = reducedExtents.stream().mapToLong(Long::longValue).toArray();
    // A fresh pass over the group; body gets X's full index.
    Function<Function<List<Expr>, Stmt>, Stmt> overGroup = body -> {
      List<Var> members = Nests.vars(ctx, "j", groupExtents.length);
      List<Expr> full = new ArrayList<>();
      for (int d = 0, k = 0, m = 0; d < shape.length; d++) {
        full.add(reduced[d] ? members.get(m++) : kept.get(k++));
      }
      return Nests.nest(members, groupExtents, body.apply(full));
    };
    Local sum = ctx.local("sum", t);
    Local mean = ctx.local("mean", t);
    Local squares = ctx.local("squares", t);
    Local denominator = ctx.local("denominator", t);
    Expr n = Nests.constant(t, count);
    List<Stmt> body = List.of(
        new Stmt.Let(sum, Nests.constant(t, 0)),
        overGroup.apply(idx -> new Stmt.Assign(sum, Exprs.add(sum, load(x, idx)))),
        new Stmt.Let(mean, div(sum, n)),
        new Stmt.Let(squares, Nests.constant(t, 0)),
        overGroup.apply(idx -> {
          Expr d = Exprs.sub(load(x, idx), mean);
          return new Stmt.Assign(squares, Exprs.add(squares, Exprs.mul(d, d)));
        }),
        new Stmt.Let(denominator, Exprs.add(Exprs.call(Intrinsic.SQRT, div(squares, n)),
            Nests.constant(t, 1e-9))),
        overGroup.apply(idx -> Nests.store(ctx.output(0), idx,
            div(Exprs.sub(load(x, idx), mean), denominator))));
    return Nests.nest(kept, keptExtents.stream().mapToLong(Long::longValue).toArray(),
        Stmt.Block.of(body));
  }

  private static Stmt instanceNorm(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    DType t = x.dtype();
    Split s = split(ctx, x, 2);
    Local mean = ctx.local("mean", t);
    Local inv = ctx.local("inv_std_dev", t);
    List<Stmt> body = new ArrayList<>(
        statistics(ctx, x, s, mean, inv, ctx.attrs().getFloat("epsilon", 1e-5f)));
    Expr c = s.outer().get(1);
    body.add(s.overInner(ctx, idx -> Nests.store(ctx.output(0), idx, Exprs.add(
        Exprs.mul(Exprs.mul(Exprs.sub(load(x, idx), mean), inv), load(ctx.input(1), c)),
        load(ctx.input(2), c)))));
    return s.overOuter(Stmt.Block.of(body));
  }

  private static Stmt layerNorm(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    DType t = x.dtype();
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", -1), x.rank(), "attribute 'axis'");
    Split s = split(ctx, x, axis);
    Local mean = ctx.local("mean", t);
    Local inv = ctx.local("inv_std_dev", t);
    List<Stmt> body = new ArrayList<>(
        statistics(ctx, x, s, mean, inv, ctx.attrs().getFloat("epsilon", 1e-5f)));
    body.add(s.overInner(ctx, idx -> {
      Expr v = Exprs.mul(Exprs.mul(Exprs.sub(load(x, idx), mean), inv),
          Nests.loadBroadcast(ctx.input(1), idx));
      if (ctx.hasInput(2)) {
        v = Exprs.add(v, Nests.loadBroadcast(ctx.input(2), idx));
      }
      return Nests.store(ctx.output(0), idx, v);
    }));
    List<Expr> statIndex = new ArrayList<>(s.outer());
    for (int d = axis; d < x.rank(); d++) {
      statIndex.add(index(0));
    }
    if (ctx.outputCount() > 1) {
      body.add(Nests.store(ctx.output(1), statIndex, Exprs.cast(ctx.output(1).dtype(), mean)));
    }
    if (ctx.outputCount() > 2) {
      body.add(Nests.store(ctx.output(2), statIndex, Exprs.cast(ctx.output(2).dtype(), inv)));
    }
    return s.overOuter(Stmt.Block.of(body));
  }

  private static Stmt lrn(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    DType t = x.dtype();
    long size = ctx.attrs().getInt("size", 1);
    double alpha = ctx.attrs().getFloat("alpha", 1e-4f);
    double beta = ctx.attrs().getFloat("beta", 0.75f);
    double bias = ctx.attrs().getFloat("bias", 1.0f);
    long below = (size - 1) / 2;
    long channels = x.dim(1);
    List<Var> vars = Nests.vars(ctx, "i", x.rank());
    Var k = ctx.var("k");
    Local squares = ctx.local("squares", t);
    Expr c = Exprs.add(Exprs.sub(vars.get(1), index(below)), k);
    List<Expr> neighbour = new ArrayList<>(vars);
    neighbour.set(1, c);
    Expr v = load(x, neighbour);
    Stmt body = Stmt.Block.of(
        new Stmt.Let(squares, Nests.constant(t, 0)),
        Nests.loop(k, size, Stmt.If.of(Nests.inRange(c, channels),
            new Stmt.Assign(squares, Exprs.add(squares, Exprs.mul(v, v))))),
        Nests.store(ctx.output(0), vars, div(load(x, vars), Exprs.call(Intrinsic.POW,
            Exprs.add(Nests.constant(t, bias), Exprs.mul(Nests.constant(t, alpha / size), squares)),
            Nests.constant(t, beta)))));
    return Nests.nest(vars, x.shapeArray(), body);
  }

  /**
   * Softmax and LogSoftmax along one axis, one nest over the other dims: max pass, sum-of-exp
   * pass, write pass (f32 Softmax: exp pass into the output, sum pass, divide pass).
   */
  private static Stmt softmax(LoweringContext ctx, boolean log) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = x.dtype();
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", -1), x.rank(), "attribute 'axis'");
    List<Var> outer = new ArrayList<>();
    List<Long> extents = new ArrayList<>();
    for (int d = 0; d < x.rank(); d++) {
      if (d != axis) {
        outer.add(ctx.var("i" + d));
        extents.add(x.dim(d));
      }
    }
    Local max = ctx.local("max", t);
    Local sum = ctx.local("sum", t);
    List<Stmt> body = new ArrayList<>();
    body.add(new Stmt.Let(max, Nests.constant(t, Double.NEGATIVE_INFINITY)));
    body.add(alongAxis(ctx, x, outer, axis, idx -> new Stmt.Assign(max, Nests.max(max, load(x, idx)))));
    body.add(new Stmt.Let(sum, Nests.constant(t, 0)));
    if (!log && t == DType.F32) {
      // exp once per element: into y, summed from y, then y divided in place (each pass a
      // vectorizable loop over the row, which stays in L1).
      body.add(alongAxis(ctx, x, outer, axis, idx -> Nests.store(y, idx,
          Exprs.call(Intrinsic.EXP, Exprs.sub(load(x, idx), max)))));
      body.add(alongAxis(ctx, x, outer, axis, idx -> new Stmt.Assign(sum, Exprs.add(sum, load(y, idx)))));
      body.add(alongAxis(ctx, x, outer, axis, idx -> Nests.store(y, idx, div(load(y, idx), sum))));
      return Nests.nest(outer, extents.stream().mapToLong(Long::longValue).toArray(), Stmt.Block.of(body));
    }
    body.add(alongAxis(ctx, x, outer, axis, idx -> new Stmt.Assign(sum,
        Exprs.add(sum, Exprs.call(Intrinsic.EXP, Exprs.sub(load(x, idx), max))))));
    body.add(alongAxis(ctx, x, outer, axis, idx -> {
      Expr shifted = Exprs.sub(load(x, idx), max);
      return Nests.store(y, idx, log
          ? Exprs.sub(shifted, Exprs.call(Intrinsic.LOG, sum))
          : div(Exprs.call(Intrinsic.EXP, shifted), sum));
    }));
    long[] outerExtents = extents.stream().mapToLong(Long::longValue).toArray();
    return Nests.nest(outer, outerExtents, Stmt.Block.of(body));
  }

  /**
   * Hardmax: a pass keeping the first largest element's position (a NaN best is final, a NaN
   * wins, as in the reference), then a pass writing the one-hot.
   */
  private static Stmt hardmax(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer y = ctx.output(0);
    DType t = x.dtype();
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", -1), x.rank(), "attribute 'axis'");
    if (x.dim(axis) == 0) {
      // An empty output; the empty nest still counts as writing it.
      return Nests.pointwise(ctx, y, vars -> Nests.constant(t, 0));
    }
    List<Var> outer = new ArrayList<>();
    List<Long> extents = new ArrayList<>();
    for (int d = 0; d < x.rank(); d++) {
      if (d != axis) {
        outer.add(ctx.var("i" + d));
        extents.add(x.dim(d));
      }
    }
    Local best = ctx.local("best", t);
    Local at = ctx.local("at", DType.I64);
    List<Expr> first = new ArrayList<>(outer);
    first.add(axis, index(0));
    List<Stmt> body = new ArrayList<>();
    body.add(new Stmt.Let(best, load(x, first)));
    body.add(new Stmt.Let(at, Nests.longConstant(DType.I64, 0)));
    body.add(alongAxis(ctx, x, outer, axis, idx -> {
      Expr v = load(x, idx);
      Expr replace = Exprs.and(new Expr.Unary(dev.kiln.ir.loop.UnaryOp.NOT,
              new Expr.Binary(BinaryOp.NE, best, best)),
          Exprs.binary(BinaryOp.OR, new Expr.Binary(BinaryOp.NE, v, v),
              new Expr.Binary(BinaryOp.GT, v, best)));
      return Stmt.If.of(replace, Stmt.Block.of(new Stmt.Assign(best, v),
          new Stmt.Assign(at, Exprs.cast(DType.I64, idx.get(axis)))));
    }));
    body.add(alongAxis(ctx, x, outer, axis, idx -> Nests.store(y, idx, Exprs.select(
        Nests.eq(Exprs.cast(DType.I64, idx.get(axis)), at),
        Nests.constant(t, 1), Nests.constant(t, 0)))));
    long[] outerExtents = extents.stream().mapToLong(Long::longValue).toArray();
    return Nests.nest(outer, outerExtents, Stmt.Block.of(body));
  }

  private static Stmt alongAxis(LoweringContext ctx, Buffer x, List<Var> outer, int axis,
      java.util.function.Function<List<Expr>, Stmt> body) {
    Var j = ctx.var("j");
    List<Expr> idx = new ArrayList<>(outer);
    idx.add(axis, j);
    return Nests.loop(j, x.dim(axis), body.apply(idx));
  }

  private static Expr nanMax(Expr v, Local acc) {
    return Exprs.select(new Expr.Binary(BinaryOp.GT, v, acc), v,
        Exprs.select(new Expr.Binary(BinaryOp.NE, v, v), v, acc));
  }

  private static Expr div(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.DIV, a, b);
  }
}
