package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/** Walking and rebuilding loop-IR trees: finding loops, replacing them, substituting variables. */
final class Loops {
  private Loops() {}

  /** A loop of a body with the loops around it, outermost first. */
  record Found(Stmt.For loop, ImmutableList<Stmt.For> enclosing) {}

  static Optional<Found> find(Stmt body, String name) {
    List<Stmt.For> path = new ArrayList<>();
    return find(body, name, path);
  }

  private static Optional<Found> find(Stmt s, String name, List<Stmt.For> path) {
    switch (s) {
      case Stmt.For f -> {
        if (f.var().name().equals(name)) {
          return Optional.of(new Found(f, ImmutableList.copyOf(path)));
        }
        path.add(f);
        Optional<Found> r = find(f.body(), name, path);
        path.removeLast();
        return r;
      }
      case Stmt.Block b -> {
        for (Stmt x : b.stmts()) {
          Optional<Found> r = find(x, name, path);
          if (r.isPresent()) {
            return r;
          }
        }
        return Optional.empty();
      }
      case Stmt.If i -> {
        Optional<Found> r = find(i.then(), name, path);
        return r.isPresent() || i.otherwise().isEmpty() ? r : find(i.otherwise().get(), name, path);
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /** The body with the loop named {@code name} replaced by {@code rewrite(loop)}. */
  static Stmt replace(Stmt s, String name, Function<Stmt.For, Stmt> rewrite) {
    return switch (s) {
      case Stmt.For f -> f.var().name().equals(name) ? rewrite.apply(f)
          : f.withBody(replace(f.body(), name, rewrite));
      case Stmt.Block b -> new Stmt.Block(
          b.stmts().stream().map(x -> replace(x, name, rewrite)).collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(i.condition(), replace(i.then(), name, rewrite),
          i.otherwise().map(o -> replace(o, name, rewrite)));
      default -> s;
    };
  }

  /** Every statement of the tree, parents before children. */
  static void forEachStmt(Stmt s, Consumer<Stmt> action) {
    action.accept(s);
    switch (s) {
      case Stmt.For f -> forEachStmt(f.body(), action);
      case Stmt.Block b -> b.stmts().forEach(x -> forEachStmt(x, action));
      case Stmt.If i -> {
        forEachStmt(i.then(), action);
        i.otherwise().ifPresent(o -> forEachStmt(o, action));
      }
      case Stmt.Attention at -> {
        forEachStmt(at.scores(), action);
        forEachStmt(at.output(), action);
      }
      default -> { }
    }
  }

  /** The expressions a statement evaluates itself (not those of nested statements). */
  static List<Expr> ownExprs(Stmt s) {
    return switch (s) {
      case Stmt.Store st -> {
        List<Expr> all = new ArrayList<>(st.indices());
        all.add(st.value());
        yield all;
      }
      case Stmt.If i -> List.of(i.condition());
      case Stmt.Let l -> List.of(l.init());
      case Stmt.Assign a -> List.of(a.value());
      case Stmt.Matmul mm -> {
        List<Expr> all = new ArrayList<>();
        all.add(mm.c().offset());
        mm.reads().forEach(x -> all.add(x.offset()));
        yield all;
      }
      case Stmt.BlockedConv cv -> List.of();
      case Stmt.Attention at -> {
        List<Expr> all = new ArrayList<>(ownExprs(at.scores()));
        all.addAll(ownExprs(at.output()));
        yield all;
      }
      default -> List.of();
    };
  }

  /** Every sub-expression, parents before children. */
  static void forEachExpr(Expr e, Consumer<Expr> action) {
    action.accept(e);
    switch (e) {
      case Expr.Binary b -> {
        forEachExpr(b.lhs(), action);
        forEachExpr(b.rhs(), action);
      }
      case Expr.Unary u -> forEachExpr(u.operand(), action);
      case Expr.Call c -> c.args().forEach(a -> forEachExpr(a, action));
      case Expr.Load l -> l.indices().forEach(i -> forEachExpr(i, action));
      case Expr.Cast c -> forEachExpr(c.operand(), action);
      case Expr.Select s -> {
        forEachExpr(s.condition(), action);
        forEachExpr(s.ifTrue(), action);
        forEachExpr(s.ifFalse(), action);
      }
      default -> { }
    }
  }

  /** Every expression evaluated anywhere in the tree, sub-expressions included. */
  static void forEachExprIn(Stmt s, Consumer<Expr> action) {
    forEachStmt(s, x -> ownExprs(x).forEach(e -> forEachExpr(e, action)));
  }

  static boolean containsLoop(Stmt s) {
    boolean[] found = {false};
    forEachStmt(s, x -> found[0] |= x instanceof Stmt.For);
    return found[0];
  }

  static boolean mentions(Expr e, Var v) {
    boolean[] found = {false};
    forEachExpr(e, x -> found[0] |= x.equals(v));
    return found[0];
  }

  /** True when the expression depends on nothing but loop variables and constants. */
  static boolean isPureIndex(Expr e) {
    boolean[] pure = {true};
    forEachExpr(e, x -> pure[0] &= !(x instanceof Expr.Load || x instanceof Local));
    return pure[0];
  }

  /** Every loop variable of the tree with its extent. */
  static Map<Var, Long> extents(Stmt s) {
    Map<Var, Long> out = new LinkedHashMap<>();
    forEachStmt(s, x -> {
      if (x instanceof Stmt.For f) {
        out.put(f.var(), f.extent());
      }
    });
    return out;
  }

  static Set<String> loopNames(Stmt s) {
    Set<String> out = new LinkedHashSet<>();
    extents(s).keySet().forEach(v -> out.add(v.name()));
    return out;
  }

  /** Buffers the tree reads or writes, in order of first appearance. */
  static Set<Buffer> buffers(Stmt s) {
    Set<Buffer> out = new LinkedHashSet<>();
    forEachStmt(s, x -> {
      if (x instanceof Stmt.Store st) {
        out.add(st.buffer());
      }
    });
    forEachExprIn(s, e -> {
      if (e instanceof Expr.Load l) {
        out.add(l.buffer());
      }
    });
    return out;
  }

  /** {@code base} if no loop of the kernel has that name, else {@code base2}, {@code base3}, ... */
  static String fresh(String base, Set<String> used) {
    if (!used.contains(base)) {
      return base;
    }
    for (int n = 2; ; n++) {
      if (!used.contains(base + n)) {
        return base + n;
      }
    }
  }

  static Stmt substitute(Stmt s, Map<Var, Expr> map) {
    return mapExprs(s, e -> substitute(e, map));
  }

  /** The tree with {@code f} applied to every expression a statement evaluates. */
  static Stmt mapExprs(Stmt s, Function<Expr, Expr> f) {
    return switch (s) {
      case Stmt.For l -> l.withBody(mapExprs(l.body(), f));
      case Stmt.Store st -> new Stmt.Store(st.buffer(),
          st.indices().stream().map(f).collect(ImmutableList.toImmutableList()), f.apply(st.value()));
      case Stmt.Block b -> new Stmt.Block(
          b.stmts().stream().map(x -> mapExprs(x, f)).collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(f.apply(i.condition()), mapExprs(i.then(), f),
          i.otherwise().map(o -> mapExprs(o, f)));
      case Stmt.Let l -> new Stmt.Let(l.local(), f.apply(l.init()));
      case Stmt.Assign a -> new Stmt.Assign(a.local(), f.apply(a.value()));
      // Only the offsets: the epilogue is over the statement's own locals.
      case Stmt.Matmul mm -> new Stmt.Matmul(offset(mm.a(), f), offset(mm.b(), f), offset(mm.c(), f),
          mm.m(), mm.n(), mm.k(), mm.acc(),
          mm.addends().stream().map(x -> new Stmt.Addend(x.local(), offset(x.operand(), f)))
              .collect(ImmutableList.toImmutableList()),
          mm.epilogue());
      // No expressions of its own: whole buffers, an epilogue over its own locals.
      case Stmt.BlockedConv cv -> cv;
      case Stmt.Attention at -> new Stmt.Attention((Stmt.Matmul) mapExprs(at.scores(), f),
          (Stmt.Matmul) mapExprs(at.output(), f));
    };
  }

  private static dev.kiln.ir.loop.MatrixOperand offset(dev.kiln.ir.loop.MatrixOperand x, Function<Expr, Expr> f) {
    return new dev.kiln.ir.loop.MatrixOperand(x.buffer(), f.apply(x.offset()), x.rowStride(), x.colStride());
  }

  static Expr substitute(Expr e, Map<? extends Expr, ? extends Expr> map) {
    return rewrite(e, x -> {
      Expr r = map.get(x);
      return r == null ? x : r;
    });
  }

  /**
   * Rebuilds an expression bottom-up, applying {@code leaf} to variables, locals and loads
   * (after their indices are rebuilt) and folding index arithmetic on the way up.
   */
  static Expr rewrite(Expr e, Function<Expr, Expr> leaf) {
    return switch (e) {
      case Var v -> leaf.apply(v);
      case Local l -> leaf.apply(l);
      case Expr.Load l -> leaf.apply(Exprs.load(l.buffer(),
          l.indices().stream().map(i -> rewrite(i, leaf)).toList()));
      case Expr.Binary b -> binary(b.op(), rewrite(b.lhs(), leaf), rewrite(b.rhs(), leaf));
      case Expr.Unary u -> new Expr.Unary(u.op(), rewrite(u.operand(), leaf));
      case Expr.Call c -> new Expr.Call(c.fn(),
          c.args().stream().map(a -> rewrite(a, leaf)).collect(ImmutableList.toImmutableList()));
      case Expr.Cast c -> new Expr.Cast(c.to(), rewrite(c.operand(), leaf));
      case Expr.Select s -> new Expr.Select(rewrite(s.condition(), leaf), rewrite(s.ifTrue(), leaf),
          rewrite(s.ifFalse(), leaf));
      case Expr.IntConst c -> c;
      case Expr.FloatConst c -> c;
    };
  }

  /** {@link Exprs#binary} plus the index folds that splitting and fusing produce. */
  static Expr binary(BinaryOp op, Expr a, Expr b) {
    if (a.type() != DType.I32) {
      // Only index arithmetic is folded: folding x + 0.0 would turn -0.0 into itself, not 0.0.
      return new Expr.Binary(op, a, b);
    }
    if ((op == BinaryOp.FLOOR_DIV || op == BinaryOp.FLOOR_MOD) && b instanceof Expr.IntConst d) {
      if (d.value() == 1) {
        return op == BinaryOp.FLOOR_DIV ? a : Exprs.index(0);
      }
      if (a instanceof Expr.IntConst n && d.value() != 0) {
        return Exprs.index(op == BinaryOp.FLOOR_DIV
            ? Math.floorDiv(n.value(), d.value()) : Math.floorMod(n.value(), d.value()));
      }
    }
    if (op == BinaryOp.LT && a instanceof Expr.IntConst x && b instanceof Expr.IntConst y) {
      return new Expr.IntConst(DType.BOOL, x.value() < y.value() ? 1 : 0);
    }
    return Exprs.binary(op, a, b);
  }
}
