package dev.kiln.passes.lower.shape;

import static dev.kiln.ir.loop.Exprs.load;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gather, GatherElements and OneHot: indices are data, read with a load; a negative index counts
 * from the end ({@code i + size}), as in the reference. An index outside {@code [-size, size)} is
 * an error in the reference; in loop IR it is an out-of-bounds access (which the interpreter
 * reports and generated code must trap).
 */
final class IndexingLowerings {
  private IndexingLowerings() {}

  static Map<String, OpLowering> all() {
    return Map.of(
        "Gather", IndexingLowerings::gather,
        "GatherElements", IndexingLowerings::gatherElements,
        "OneHot", IndexingLowerings::oneHot,
        "ReverseSequence", IndexingLowerings::reverseSequence,
        "EyeLike", IndexingLowerings::eyeLike);
  }

  /** {@code index} (i32 or i64) wrapped into {@code [0, size)} when negative, as an i32 index. */
  static Expr wrap(Expr index, long size) {
    DType t = index.type();
    Expr zero = Nests.longConstant(t, 0);
    Expr wrapped = Exprs.select(
        Exprs.lt(index, zero), Exprs.add(index, Nests.longConstant(t, size)), index);
    return Exprs.cast(DType.I32, wrapped);
  }

  private static Stmt gather(LoweringContext ctx) {
    Buffer data = ctx.input(0);
    Buffer indices = ctx.input(1);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), data.rank(), "attribute 'axis'");
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      // Output indices are data[:axis], then the index coords, then data[axis+1:].
      List<Expr> at = new ArrayList<>(vars.subList(axis, axis + indices.rank()));
      List<Expr> idx = new ArrayList<>(vars.subList(0, axis));
      idx.add(wrap(load(indices, at), data.dim(axis)));
      idx.addAll(vars.subList(axis + indices.rank(), vars.size()));
      return load(data, idx);
    });
  }

  private static Stmt gatherElements(LoweringContext ctx) {
    Buffer data = ctx.input(0);
    Buffer indices = ctx.input(1);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), data.rank(), "attribute 'axis'");
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      List<Expr> idx = new ArrayList<>(vars);
      idx.set(axis, wrap(load(indices, vars), data.dim(axis)));
      return load(data, idx);
    });
  }

  /**
   * Along the time axis, position {@code t} of batch entry {@code b} reads {@code len - 1 - t}
   * while {@code t < len}, where {@code len = sequence_lens[b]}; the rest is copied.
   */
  private static Stmt reverseSequence(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    int batchAxis = (int) ctx.attrs().getInt("batch_axis", 1);
    int timeAxis = (int) ctx.attrs().getInt("time_axis", 0);
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      Expr t = vars.get(timeAxis);
      Expr len = Exprs.cast(DType.I32, load(ctx.input(1), vars.get(batchAxis)));
      List<Expr> idx = new ArrayList<>(vars);
      idx.set(timeAxis, Exprs.select(Exprs.lt(t, len),
          Exprs.sub(Exprs.sub(len, Exprs.index(1)), t), t));
      return load(x, idx);
    });
  }

  /** Ones on the diagonal {@code j - i = k}, zeros elsewhere. */
  private static Stmt eyeLike(LoweringContext ctx) {
    Buffer out = ctx.output(0);
    long k = ctx.attrs().getInt("k", 0);
    return Nests.pointwise(ctx, out, vars -> Exprs.select(
        new Expr.Binary(BinaryOp.EQ, Exprs.sub(vars.get(1), vars.get(0)), Exprs.index(k)),
        Nests.longConstant(out.dtype(), 1), Nests.longConstant(out.dtype(), 0)));
  }

  /** Output (outer, d, inner) is values[1] where index (outer, inner), wrapped, equals d. */
  private static Stmt oneHot(LoweringContext ctx) {
    Buffer indices = ctx.input(0);
    Buffer values = ctx.input(2);
    Buffer out = ctx.output(0);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", -1), out.rank(), "attribute 'axis'");
    long depth = out.dim(axis);
    return Nests.pointwise(ctx, out, vars -> {
      List<Expr> at = new ArrayList<>(vars);
      Expr position = at.remove(axis);
      Expr index = Exprs.cast(DType.I64, load(indices, at));
      Expr zero = Nests.longConstant(DType.I64, 0);
      Expr wrapped = Exprs.select(Exprs.lt(index, zero),
          Exprs.add(index, Nests.longConstant(DType.I64, depth)), index);
      Expr hot = new Expr.Binary(BinaryOp.EQ, wrapped, Exprs.cast(DType.I64, position));
      return Exprs.select(hot, load(values, Exprs.index(1)), load(values, Exprs.index(0)));
    });
  }
}
