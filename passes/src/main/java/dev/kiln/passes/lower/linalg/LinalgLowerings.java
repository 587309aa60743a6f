package dev.kiln.passes.lower.linalg;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

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
import java.util.List;
import java.util.Map;

/**
 * MatMul and Gemm lower to the textbook triple loop: for each output element, a local
 * accumulator over the shared dim. MatMul's batch dims broadcast; 1-D operands are promoted
 * (a row vector on the left, a column vector on the right) and the promoted dim is not in the
 * output. Gemm computes {@code alpha * A'B' + beta * C} with C broadcast to [M, N].
 */
public final class LinalgLowerings {
  private LinalgLowerings() {}

  public static Map<String, OpLowering> all() {
    return Map.of("MatMul", LinalgLowerings::matMul, "Gemm", LinalgLowerings::gemm);
  }

  private static Stmt matMul(LoweringContext ctx) {
    Buffer a = ctx.input(0);
    Buffer b = ctx.input(1);
    Buffer out = ctx.output(0);
    DType t = out.dtype();
    long k = a.dim(a.rank() - 1);
    boolean rowVector = a.rank() == 1;
    boolean columnVector = b.rank() == 1;
    int batchRank = out.rank() - (rowVector ? 0 : 1) - (columnVector ? 0 : 1);
    List<Var> vars = Nests.vars(ctx, "b", batchRank);
    Var i = rowVector ? null : ctx.var("i");
    Var j = columnVector ? null : ctx.var("j");
    Var p = ctx.var("k");
    Local acc = ctx.local("acc", t);
    List<Var> outVars = new ArrayList<>(vars);
    List<Long> extents = new ArrayList<>();
    for (int d = 0; d < batchRank; d++) {
      extents.add(out.dim(d));
    }
    if (i != null) {
      outVars.add(i);
      extents.add(out.dim(batchRank));
    }
    if (j != null) {
      outVars.add(j);
      extents.add(out.dim(out.rank() - 1));
    }
    List<Expr> aIndex = matrixIndex(a, vars, i == null ? null : i, p, true);
    List<Expr> bIndex = matrixIndex(b, vars, p, j, false);
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, Nests.constant(t, 0)),
        Nests.loop(p, k, new Stmt.Assign(acc,
            Exprs.add(acc, Exprs.mul(load(a, aIndex), load(b, bIndex))))),
        Nests.store(out, outVars, acc));
    return Nests.nest(outVars, extents.stream().mapToLong(Long::longValue).toArray(), body);
  }

  /**
   * The indices of a MatMul operand: its batch dims broadcast against the output's batch vars,
   * then row and column (only the one of a 1-D operand).
   */
  private static List<Expr> matrixIndex(Buffer m, List<Var> batch, Expr row, Expr col, boolean left) {
    if (m.rank() == 1) {
      return List.of(left ? col : row);
    }
    List<Expr> idx = new ArrayList<>(Nests.broadcast(batch, prefix(m)));
    idx.add(row);
    idx.add(col);
    return idx;
  }

  /** A stand-in buffer with only the batch dims of {@code m}, for broadcast indexing. */
  private static Buffer prefix(Buffer m) {
    return new Buffer(m.name(), m.dtype(), m.shape().subList(0, m.rank() - 2), m.role(), m.origin());
  }

  private static Stmt gemm(LoweringContext ctx) {
    Buffer a = ctx.input(0);
    Buffer b = ctx.input(1);
    Buffer out = ctx.output(0);
    DType t = out.dtype();
    boolean transA = ctx.attrs().getInt("transA", 0) == 1;
    boolean transB = ctx.attrs().getInt("transB", 0) == 1;
    double alpha = ctx.attrs().getFloat("alpha", 1.0f);
    double beta = ctx.attrs().getFloat("beta", 1.0f);
    long k = a.dim(transA ? 0 : 1);
    // Integer Gemm with unit alpha and beta is exact; otherwise the reference computes in f64.
    DType compute = t.isFloating() || (alpha == 1.0 && beta == 1.0) ? t : DType.F64;
    Var i = ctx.var("i");
    Var j = ctx.var("j");
    Var p = ctx.var("k");
    Local acc = ctx.local("acc", compute);
    Expr x = Exprs.cast(compute, transA ? load(a, p, i) : load(a, i, p));
    Expr y = Exprs.cast(compute, transB ? load(b, j, p) : load(b, p, j));
    Expr result = Exprs.mul(Nests.constant(compute, alpha), acc);
    if (ctx.hasInput(2)) {
      Expr c = Exprs.cast(compute, Nests.loadBroadcast(ctx.input(2), List.of(i, j)));
      result = Exprs.add(result, Exprs.mul(Nests.constant(compute, beta), c));
    }
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, Nests.constant(compute, 0)),
        Nests.loop(p, k, new Stmt.Assign(acc, Exprs.add(acc, Exprs.mul(x, y)))),
        Nests.store(out, List.of(i, j), Exprs.cast(t, result)));
    return Nests.nest(List.of(i, j), new long[] {out.dim(0), out.dim(1)}, body);
  }

}
