package dev.kiln.passes.lower.linalg;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.MatrixOperand;
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
 * MatMul and Gemm. In f32 they lower to the matmul intrinsic ({@link Stmt.Matmul}), which code
 * generation turns into a blocked, vectorized GEMM: MatMul's batch dims become loops around it
 * that move the operands' offsets (a broadcast batch dim moves nothing), 1-D operands are
 * promoted (a row vector on the left, a column vector on the right) and the promoted dim is not in
 * the output; when B has no batch dims of its own, A's batch dims are folded into its rows (one
 * GEMM instead of one per batch index); Gemm's transposes are strides and {@code alpha * acc + beta * C} its epilogue, C an
 * addend broadcast by zero strides. Other dtypes lower to the textbook triple loop: for each
 * output element, a local accumulator over the shared dim.
 */
public final class LinalgLowerings {
  private LinalgLowerings() {}

  public static Map<String, OpLowering> all() {
    return Map.of("MatMul", LinalgLowerings::matMul, "Gemm", LinalgLowerings::gemm);
  }

  /**
   * MatMul and Gemm as triple loops in every dtype, f32 included (no intrinsic): for schedules
   * written against the loop nest, e.g. {@code LoweringRegistry.standard().replacing(loops())}.
   */
  public static Map<String, OpLowering> loops() {
    return Map.of("MatMul", ctx -> matMul(ctx, false), "Gemm", ctx -> gemm(ctx, false));
  }

  private static Stmt matMul(LoweringContext ctx) {
    return matMul(ctx, true);
  }

  private static Stmt gemm(LoweringContext ctx) {
    return gemm(ctx, true);
  }

  private static Stmt matMul(LoweringContext ctx, boolean useIntrinsic) {
    Buffer a = ctx.input(0);
    Buffer b = ctx.input(1);
    Buffer out = ctx.output(0);
    DType t = out.dtype();
    if (useIntrinsic && intrinsic(a, b, out)) {
      return matMulIntrinsic(ctx, a, b, out);
    }
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

  private static Stmt gemm(LoweringContext ctx, boolean useIntrinsic) {
    Buffer a = ctx.input(0);
    Buffer b = ctx.input(1);
    Buffer out = ctx.output(0);
    DType t = out.dtype();
    boolean transA = ctx.attrs().getInt("transA", 0) == 1;
    boolean transB = ctx.attrs().getInt("transB", 0) == 1;
    double alpha = ctx.attrs().getFloat("alpha", 1.0f);
    double beta = ctx.attrs().getFloat("beta", 1.0f);
    long k = a.dim(transA ? 0 : 1);
    if (useIntrinsic && intrinsic(a, b, out) && (!ctx.hasInput(2) || ctx.input(2).dtype() == DType.F32)) {
      long m = out.dim(0);
      long n = out.dim(1);
      MatrixOperand ma = new MatrixOperand(a, index(0), transA ? 1 : k, transA ? m : 1);
      MatrixOperand mb = new MatrixOperand(b, index(0), transB ? 1 : n, transB ? k : 1);
      Local acc = ctx.local("acc", t);
      Expr result = alpha == 1.0 ? acc : Exprs.mul(Nests.constant(t, alpha), acc);
      List<Stmt.Addend> addends = new ArrayList<>();
      if (ctx.hasInput(2)) {
        Buffer c = ctx.input(2);
        Local cl = ctx.local("c", t);
        addends.add(new Stmt.Addend(cl, broadcastOperand(c, m, n)));
        result = Exprs.add(result, beta == 1.0 ? cl : Exprs.mul(Nests.constant(t, beta), cl));
      }
      return new Stmt.Matmul(ma, mb, MatrixOperand.rowMajor(out, n), m, n, k, acc,
          com.google.common.collect.ImmutableList.copyOf(addends), result);
    }
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


  /** f32 operands and result: what the matmul intrinsic (and the generated GEMM) takes. */
  private static boolean intrinsic(Buffer a, Buffer b, Buffer out) {
    return a.dtype() == DType.F32 && b.dtype() == DType.F32 && out.dtype() == DType.F32;
  }

  /**
   * MatMul as the intrinsic: one {@code M x N} product per batch index, the batch loops moving each
   * operand's offset by its own (broadcast) batch strides.
   */
  private static Stmt matMulIntrinsic(LoweringContext ctx, Buffer a, Buffer b, Buffer out) {
    boolean rowVector = a.rank() == 1;
    boolean columnVector = b.rank() == 1;
    long k = a.dim(a.rank() - 1);
    long m = rowVector ? 1 : a.dim(a.rank() - 2);
    long n = columnVector ? 1 : b.dim(b.rank() - 1);
    int batchRank = out.rank() - (rowVector ? 0 : 1) - (columnVector ? 0 : 1);
    if (batchRank > 0 && a.rank() - 2 == batchRank && !batched(b)) {
      // B is one matrix for every batch index and A's batch dims are the output's: the batch is
      // just more rows of one product (a [S, 1, K] x [K, N] is an S x N x K GEMM, not S GEMVs).
      long rows = m;
      for (int d = 0; d < batchRank; d++) {
        rows *= a.dim(d);
      }
      return Stmt.Matmul.plain(MatrixOperand.rowMajor(a, k),
          new MatrixOperand(b, index(0), columnVector ? 1 : n, columnVector ? 0 : 1),
          MatrixOperand.rowMajor(out, n), rows, n, k, ctx.local("acc", DType.F32));
    }
    List<Var> vars = Nests.vars(ctx, "b", batchRank);
    long[] extents = new long[batchRank];
    for (int d = 0; d < batchRank; d++) {
      extents[d] = out.dim(d);
    }
    MatrixOperand ma = new MatrixOperand(a, batchOffset(a, Math.max(0, a.rank() - 2), vars, m * k),
        rowVector ? 0 : k, 1);
    MatrixOperand mb = new MatrixOperand(b, batchOffset(b, Math.max(0, b.rank() - 2), vars, k * n),
        columnVector ? 1 : n, columnVector ? 0 : 1);
    MatrixOperand mc = new MatrixOperand(out, batchOffset(out, batchRank, vars, m * n), n, 1);
    Stmt mm = Stmt.Matmul.plain(ma, mb, mc, m, n, k, ctx.local("acc", DType.F32));
    return Nests.nest(vars, extents, mm);
  }

  /** Whether a MatMul operand has a batch dim other than 1 (a different matrix per batch index). */
  private static boolean batched(Buffer m) {
    for (int d = 0; d < m.rank() - 2; d++) {
      if (m.dim(d) != 1) {
        return true;
      }
    }
    return false;
  }

  /**
   * The flat offset of the matrix at batch indices {@code batch} in {@code m}, whose first
   * {@code rank} dims are batch dims (right-aligned with the output's) that broadcast: a dim of
   * size 1 stays at 0.
   */
  private static Expr batchOffset(Buffer m, int rank, List<Var> batch, long matrixSize) {
    Expr offset = index(0);
    long stride = matrixSize;
    for (int d = rank - 1; d >= 0; d--) {
      if (m.dim(d) != 1) {
        Expr term = Exprs.mul(batch.get(batch.size() - rank + d), index(stride));
        offset = offset instanceof Expr.IntConst z && z.value() == 0 ? term : Exprs.add(term, offset);
      }
      stride *= m.dim(d);
    }
    return offset;
  }

  /** Gemm's C as an M x N view: unidirectional broadcasting by zero strides. */
  private static MatrixOperand broadcastOperand(Buffer c, long m, long n) {
    long rows = c.rank() == 2 ? c.dim(0) : 1;
    long cols = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
    return new MatrixOperand(c, index(0), rows == 1 ? 0 : cols, cols == 1 ? 0 : 1);
  }
}
