package dev.kiln.passes.fusion;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Pass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code fuse-attention}: the three kernels of scaled dot-product attention after
 * {@code fold-copies-into-matmul} — a matmul intrinsic per head writing the scores
 * {@code S = epilogue(Q K^T)} (the scale in its epilogue), the f32 Softmax kernel over the last
 * axis of S writing P, and a matmul per head reading P as A ({@code O = P V}) — become one
 * kernel of {@link Stmt.Attention} statements, one per head, in a parallel loop over the heads.
 * S and P stay in the program (the statement's reference semantics write them) but no other
 * kernel reads them, so compiled code computes a block of rows of them at a time in cache and
 * never writes them (docs/graph-passes.md).
 *
 * <p>Each head's matmuls must cover S and P block by block: the same loops around both (same
 * extents), and at every iteration the scores matmul writes exactly the rows that the output
 * matmul reads (offsets evaluated over the whole loop space), together every row of S once. The
 * Softmax kernel is recognized by its form (the f32 Softmax lowering over the last axis:
 * max, exp into P, sum, divide), and must read S and write P only.
 */
public final class FuseAttention implements Pass {
  public static final String NAME = "fuse-attention";

  public static final PassInfo INFO = new PassInfo(NAME,
      "fuse attention's scores matmul, softmax and output matmul into one kernel (loop IR)",
      IrLevel.LOOPS, IrLevel.LOOPS, ImmutableList.of(), options -> new FuseAttention());

  /** Loop spaces larger than this are not evaluated point by point (compile time). */
  static final int MAX_POINTS = 1 << 16;

  /**
   * {@code -Dkiln.fuseAttention=false} leaves every program unchanged (A/B measurements against
   * the three kernels, docs/performance.md).
   */
  static boolean enabled() {
    return !"false".equals(System.getProperty("kiln.fuseAttention"));
  }

  @Override
  public Ir run(Ir input, PassContext context) {
    if (!enabled()) {
      return input;
    }
    LoopProgram program = input.program();
    List<Kernel> kernels = new ArrayList<>(program.kernels());
    boolean changed = false;
    for (int i = 0; i < kernels.size(); i++) {
      Optional<Nest> scores = Nest.of(kernels.get(i).body());
      if (scores.isEmpty()) {
        continue;
      }
      Buffer s = scores.get().mm().c().buffer();
      List<Integer> users = users(kernels, s, i);
      if (users.size() != 1 || !Softmax.of(kernels.get(users.get(0)), s).isPresent()) {
        continue; // not attention's scores: nothing to say
      }
      int b = users.get(0);
      Softmax softmax = Softmax.of(kernels.get(b), s).get();
      Optional<String> why = fuse(kernels, i, scores.get(), b, softmax);
      if (why.isEmpty()) {
        changed = true;
      } else if (context.explain()) {
        context.remark(NAME, kernels.get(b).source(), "not fused: " + why.get());
      }
    }
    if (!changed) {
      return input;
    }
    return Ir.of(new LoopProgram(program.name(), program.inputs(), program.outputs(),
        program.constants(), program.scratch(), ImmutableList.copyOf(kernels)));
  }

  /** Fuses kernels a (scores), b (softmax) and the reader of P; empty when done, else why not. */
  private static Optional<String> fuse(List<Kernel> kernels, int a, Nest scores, int b, Softmax softmax) {
    Buffer s = softmax.s();
    Buffer p = softmax.p();
    if (b < a) {
      return Optional.of("the softmax comes before the scores' matmul");
    }
    if (s.role() != BufferRole.SCRATCH || p.role() != BufferRole.SCRATCH) {
      return Optional.of("the scores or probabilities are not intermediates (a graph output?)");
    }
    List<Integer> readers = users(kernels, p, b);
    if (readers.size() != 1 || readers.get(0) < b) {
      return Optional.of("the probabilities " + p + " are not read by exactly one later kernel");
    }
    int c = readers.get(0);
    Optional<Nest> output = Nest.of(kernels.get(c).body());
    if (output.isEmpty() || !output.get().mm().a().buffer().equals(p)
        || output.get().mm().reads().stream().skip(1).anyMatch(x -> x.buffer().equals(p))
        || output.get().mm().c().buffer().equals(p)) {
      return Optional.of("the probabilities are not read only as a matmul's A");
    }
    Stmt.Matmul mm1 = scores.mm();
    Stmt.Matmul mm2 = output.get().mm();
    long n = s.dim(s.rank() - 1);
    if (mm1.n() != n || mm1.c().rowStride() != n || mm1.c().colStride() != 1
        || mm2.k() != n || mm2.m() != mm1.m() || mm2.a().rowStride() != n || mm2.a().colStride() != 1
        || !p.shape().equals(s.shape())) {
      return Optional.of("the matmuls do not take whole rows of the scores and probabilities");
    }
    if (mm1.acc().type() != DType.F32 || mm2.acc().type() != DType.F32) {
      return Optional.of("the matmuls are not f32");
    }
    if (!scores.extents().equals(output.get().extents())) {
      return Optional.of("the loops around the two matmuls differ");
    }
    // The output matmul in the scores' loop variables.
    Map<Var, Var> rename = new HashMap<>();
    for (int x = 0; x < scores.vars().size(); x++) {
      rename.put(output.get().vars().get(x), scores.vars().get(x));
    }
    Stmt.Matmul mm2r = rename(mm2, rename);
    Optional<String> tiles = sameBlocks(scores, mm1.c().offset(), mm2r.a().offset(), mm1.m() * n, s.size());
    if (tiles.isPresent()) {
      return tiles;
    }
    // Placed where the output kernel was: Q, K and the scores' addends were ready at the scores'
    // kernel already (every buffer has one writer), V and the output's operands are read there.
    Stmt attention = new Stmt.Attention(mm1, mm2r);
    Stmt body = attention;
    for (int x = scores.vars().size() - 1; x >= 0; x--) {
      // The outermost loop over heads is parallel (the statement splits its rows itself when alone).
      LoopKind kind = x == 0 && scores.extents().get(0) > 1 ? LoopKind.PARALLEL : LoopKind.SERIAL;
      body = new Stmt.For(scores.vars().get(x), scores.extents().get(x), kind, body);
    }
    Set<Buffer> buffers = new LinkedHashSet<>(kernels.get(a).buffers());
    buffers.add(p);
    buffers.addAll(kernels.get(c).buffers());
    Kernel fused = new Kernel(kernels.get(a).name(), ImmutableList.copyOf(buffers), body,
        kernels.get(a).source() + " + " + kernels.get(b).source() + " + " + kernels.get(c).source());
    // The fused kernel takes the output kernel's place: everything in between reads none of it.
    kernels.set(c, fused);
    kernels.remove(b);
    kernels.remove(a);
    return Optional.empty();
  }

  /**
   * Whether, at every point of the loops, the scores' offset equals the probabilities' and the
   * points' blocks of {@code block} elements cover {@code size} elements once each.
   */
  private static Optional<String> sameBlocks(Nest nest, Expr sOffset, Expr pOffset, long block, long size) {
    long points = 1;
    for (long e : nest.extents()) {
      points *= e;
    }
    if (points > MAX_POINTS || points * block != size) {
      return Optional.of("the heads' blocks do not cover the scores exactly");
    }
    Set<Long> seen = new HashSet<>();
    Map<Var, Long> env = new HashMap<>();
    for (long point = 0; point < points; point++) {
      long rest = point;
      for (int x = nest.vars().size() - 1; x >= 0; x--) {
        env.put(nest.vars().get(x), rest % nest.extents().get(x));
        rest /= nest.extents().get(x);
      }
      Optional<Long> so = IndexEval.eval(sOffset, env);
      Optional<Long> po = IndexEval.eval(pOffset, env);
      if (so.isEmpty() || po.isEmpty() || !so.equals(po) || so.get() % block != 0
          || !seen.add(so.get())) {
        return Optional.of("the output matmul does not read the rows the scores' matmul writes");
      }
    }
    return Optional.empty();
  }

  private static List<Integer> users(List<Kernel> kernels, Buffer b, int except) {
    List<Integer> users = new ArrayList<>();
    for (int j = 0; j < kernels.size(); j++) {
      if (j != except && kernels.get(j).buffers().contains(b)) {
        users.add(j);
      }
    }
    return users;
  }

  private static Stmt.Matmul rename(Stmt.Matmul mm, Map<Var, Var> rename) {
    return new Stmt.Matmul(rename(mm.a(), rename), rename(mm.b(), rename), rename(mm.c(), rename),
        mm.m(), mm.n(), mm.k(), mm.acc(),
        mm.addends().stream().map(x -> new Stmt.Addend(x.local(), rename(x.operand(), rename)))
            .collect(ImmutableList.toImmutableList()),
        mm.epilogue());
  }

  private static MatrixOperand rename(MatrixOperand x, Map<Var, Var> rename) {
    return new MatrixOperand(x.buffer(), rename(x.offset(), rename), x.rowStride(), x.colStride());
  }

  private static Expr rename(Expr e, Map<Var, Var> rename) {
    return switch (e) {
      case Var v -> rename.getOrDefault(v, v);
      case Expr.Binary x -> new Expr.Binary(x.op(), rename(x.lhs(), rename), rename(x.rhs(), rename));
      case Expr.Unary u -> new Expr.Unary(u.op(), rename(u.operand(), rename));
      case Expr.Cast c -> new Expr.Cast(c.to(), rename(c.operand(), rename));
      default -> e;
    };
  }

  /** A perfect nest of serial loops around one matmul intrinsic (none: a lone matmul). */
  record Nest(List<Var> vars, List<Long> extents, Stmt.Matmul mm) {
    static Optional<Nest> of(Stmt body) {
      List<Var> vars = new ArrayList<>();
      List<Long> extents = new ArrayList<>();
      Stmt s = body;
      while (s instanceof Stmt.For f && f.kind() == LoopKind.SERIAL) {
        vars.add(f.var());
        extents.add(f.extent());
        s = f.body();
      }
      if (s instanceof Stmt.Block bl && bl.stmts().size() == 1) {
        s = bl.stmts().get(0);
      }
      return s instanceof Stmt.Matmul mm ? Optional.of(new Nest(vars, extents, mm)) : Optional.empty();
    }
  }

  /**
   * The f32 Softmax lowering over the last axis of S into P, as {@code NnLowerings} writes it
   * (before scheduling): loops over every dim but the last, then max, exp into P, sum, divide.
   */
  record Softmax(Buffer s, Buffer p) {
    static Optional<Softmax> of(Kernel k, Buffer s) {
      if (k.buffers().size() != 2 || !k.buffers().contains(s) || s.dtype() != DType.F32 || s.rank() < 1) {
        return Optional.empty();
      }
      Buffer p = k.buffers().get(0).equals(s) ? k.buffers().get(1) : k.buffers().get(0);
      if (!p.shape().equals(s.shape()) || p.dtype() != DType.F32 || p.equals(s)) {
        return Optional.empty();
      }
      List<Expr> outer = new ArrayList<>();
      Stmt body = k.body();
      for (int d = 0; d < s.rank() - 1; d++) {
        if (!(body instanceof Stmt.For f) || f.kind() != LoopKind.SERIAL || f.extent() != s.dim(d)) {
          return Optional.empty();
        }
        outer.add(f.var());
        body = f.body();
      }
      if (!(body instanceof Stmt.Block bl) || bl.stmts().size() != 6
          || !(bl.stmts().get(0) instanceof Stmt.Let maxLet)
          || !(bl.stmts().get(2) instanceof Stmt.Let sumLet)) {
        return Optional.empty();
      }
      Local max = maxLet.local();
      Local sum = sumLet.local();
      if (!maxLet.init().equals(Exprs.constant(DType.F32, Double.NEGATIVE_INFINITY))
          || !sumLet.init().equals(Exprs.constant(DType.F32, 0)) || max.type() != DType.F32
          || sum.type() != DType.F32) {
        return Optional.empty();
      }
      long n = s.dim(s.rank() - 1);
      boolean ok = row(bl.stmts().get(1), n, outer, j -> new Stmt.Assign(max,
              new Expr.Binary(BinaryOp.MAX, max, Exprs.load(s, j))))
          && row(bl.stmts().get(3), n, outer, j -> new Stmt.Store(p, ImmutableList.copyOf(j),
              Exprs.call(Intrinsic.EXP, Exprs.sub(Exprs.load(s, j), max))))
          && row(bl.stmts().get(4), n, outer, j -> new Stmt.Assign(sum, Exprs.add(sum, Exprs.load(p, j))))
          && row(bl.stmts().get(5), n, outer, j -> new Stmt.Store(p, ImmutableList.copyOf(j),
              new Expr.Binary(BinaryOp.DIV, Exprs.load(p, j), sum)));
      return ok ? Optional.of(new Softmax(s, p)) : Optional.empty();
    }

    /** Whether {@code st} is {@code for j in 0..n { body(outer..., j) }} (serial). */
    private static boolean row(Stmt st, long n, List<Expr> outer,
        java.util.function.Function<List<Expr>, Stmt> body) {
      if (!(st instanceof Stmt.For f) || f.kind() != LoopKind.SERIAL || f.extent() != n) {
        return false;
      }
      List<Expr> idx = new ArrayList<>(outer);
      idx.add(f.var());
      return f.body().equals(body.apply(idx));
    }
  }
}
