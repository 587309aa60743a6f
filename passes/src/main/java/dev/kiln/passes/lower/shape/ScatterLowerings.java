package dev.kiln.passes.lower.shape;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.op.Shapes;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * GatherND, ScatterElements and ScatterND. A scatter is two nests in one kernel: copy the data to
 * the output, then one store per update at the index the indices give (negative ones wrapped),
 * in the reference's order, so with reduction {@code none} the last of duplicate indices wins;
 * other reductions combine with the element already there.
 */
final class ScatterLowerings {
  private ScatterLowerings() {}

  static Map<String, OpLowering> all() {
    return Map.of(
        "GatherND", ScatterLowerings::gatherNd,
        "ScatterElements", ScatterLowerings::scatterElements,
        "ScatterND", ScatterLowerings::scatterNd);
  }

  /** Output (batch..., rows..., rest...) reads data[batch..., indices[rows..., :]..., rest...]. */
  private static Stmt gatherNd(LoweringContext ctx) {
    Buffer data = ctx.input(0);
    Buffer indices = ctx.input(1);
    int b = (int) ctx.attrs().getInt("batch_dims", 0);
    int k = (int) indices.dim(indices.rank() - 1);
    int lead = indices.rank() - 1;
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      List<Expr> idx = new ArrayList<>(vars.subList(0, b));
      for (int j = 0; j < k; j++) {
        List<Expr> at = new ArrayList<>(vars.subList(0, lead));
        at.add(index(j));
        idx.add(IndexingLowerings.wrap(load(indices, at), data.dim(b + j)));
      }
      idx.addAll(vars.subList(lead, vars.size()));
      return load(data, idx);
    });
  }

  private static Stmt scatterElements(LoweringContext ctx) {
    Buffer data = ctx.input(0);
    Buffer indices = ctx.input(1);
    Buffer out = ctx.output(0);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), data.rank(), "attribute 'axis'");
    List<Var> vars = Nests.vars(ctx, "u", indices.rank());
    List<Expr> at = new ArrayList<>(vars);
    at.set(axis, IndexingLowerings.wrap(load(indices, vars), data.dim(axis)));
    Stmt scatter = Nests.nest(vars, indices.shapeArray(),
        update(ctx, out, at, load(ctx.input(2), vars)));
    return Stmt.Block.of(copy(ctx, data, out), scatter);
  }

  private static Stmt scatterNd(LoweringContext ctx) {
    Buffer data = ctx.input(0);
    Buffer indices = ctx.input(1);
    Buffer out = ctx.output(0);
    int k = (int) indices.dim(indices.rank() - 1);
    int lead = indices.rank() - 1;
    List<Var> rows = Nests.vars(ctx, "u", lead);
    List<Var> rest = Nests.vars(ctx, "e", data.rank() - k);
    List<Expr> at = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      List<Expr> row = new ArrayList<>(rows);
      row.add(index(j));
      at.add(IndexingLowerings.wrap(load(indices, row), data.dim(j)));
    }
    at.addAll(rest);
    List<Var> all = new ArrayList<>(rows);
    all.addAll(rest);
    long[] extents = new long[all.size()];
    System.arraycopy(indices.shapeArray(), 0, extents, 0, lead);
    long[] restExtents = Arrays.copyOfRange(data.shapeArray(), k, data.rank());
    System.arraycopy(restExtents, 0, extents, lead, restExtents.length);
    Stmt scatter = Nests.nest(all, extents, update(ctx, out, at, load(ctx.input(2), all)));
    return Stmt.Block.of(copy(ctx, data, out), scatter);
  }

  private static Stmt copy(LoweringContext ctx, Buffer from, Buffer to) {
    return Nests.pointwise(ctx, to, vars -> load(from, vars));
  }

  /** {@code out[at] = u}, or combined with what is there by the reduction. */
  private static Stmt update(LoweringContext ctx, Buffer out, List<Expr> at, Expr u) {
    Expr old = load(out, at);
    Expr value = switch (ctx.attrs().getString("reduction", "none")) {
      case "add" -> Exprs.add(old, u);
      case "mul" -> Exprs.mul(old, u);
      case "max" -> Nests.max(old, u);
      case "min" -> Nests.min(old, u);
      default -> u;
    };
    return Nests.store(out, at, value);
  }
}
