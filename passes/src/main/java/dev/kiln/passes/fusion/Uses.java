package dev.kiln.passes.fusion;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/** Walks over a kernel body for {@link FoldCopiesIntoMatmul}: where a buffer is used, matmul rewrites. */
final class Uses {
  private Uses() {}

  /**
   * Whether {@code b} is used in {@code s} other than as a matmul's A or B ({@code asOutput}
   * false) or as a matmul's result ({@code asOutput} true).
   */
  static boolean outsideMatmulOperands(Stmt s, Buffer b, boolean asOutput) {
    return switch (s) {
      case Stmt.For f -> outsideMatmulOperands(f.body(), b, asOutput);
      case Stmt.Block bl -> bl.stmts().stream().anyMatch(x -> outsideMatmulOperands(x, b, asOutput));
      case Stmt.If i -> reads(i.condition(), b) || outsideMatmulOperands(i.then(), b, asOutput)
          || i.otherwise().map(x -> outsideMatmulOperands(x, b, asOutput)).orElse(false);
      case Stmt.Store st -> st.buffer().equals(b) || reads(st.value(), b)
          || st.indices().stream().anyMatch(x -> reads(x, b));
      case Stmt.Let l -> reads(l.init(), b);
      case Stmt.Assign a -> reads(a.value(), b);
      case Stmt.Matmul mm -> {
        boolean inputs = mm.a().buffer().equals(b) || mm.b().buffer().equals(b);
        boolean elsewhere = mm.addends().stream().anyMatch(x -> x.operand().buffer().equals(b))
            || reads(mm.epilogue(), b)
            || operandsOf(mm).stream().anyMatch(x -> reads(x.offset(), b));
        yield elsewhere || (asOutput ? inputs : mm.c().buffer().equals(b));
      }
      // Attention runs after fold-copies-into-matmul: every buffer it touches is a use outside a matmul.
      case Stmt.Attention at -> at.reads().stream().anyMatch(x -> x.buffer().equals(b) || reads(x.offset(), b))
          || at.writes().stream().anyMatch(x -> x.buffer().equals(b) || reads(x.offset(), b))
          || reads(at.scores().epilogue(), b) || reads(at.output().epilogue(), b);
      // A blocked convolution is no matmul: every buffer it touches is a use outside one.
      case Stmt.BlockedConv bc -> bc.x().equals(b) || bc.w().equals(b) || bc.y().equals(b)
          || bc.addends().stream().anyMatch(x -> x.buffer().equals(b)) || reads(bc.epilogue(), b);
    };
  }

  private static List<MatrixOperand> operandsOf(Stmt.Matmul mm) {
    List<MatrixOperand> all = new ArrayList<>(List.of(mm.a(), mm.b(), mm.c()));
    mm.addends().forEach(x -> all.add(x.operand()));
    return all;
  }

  static boolean reads(Expr e, Buffer b) {
    return switch (e) {
      case Expr.Load l -> l.buffer().equals(b) || l.indices().stream().anyMatch(x -> reads(x, b));
      case Expr.Binary x -> reads(x.lhs(), b) || reads(x.rhs(), b);
      case Expr.Unary u -> reads(u.operand(), b);
      case Expr.Call c -> c.args().stream().anyMatch(x -> reads(x, b));
      case Expr.Cast c -> reads(c.operand(), b);
      case Expr.Select x -> reads(x.condition(), b) || reads(x.ifTrue(), b) || reads(x.ifFalse(), b);
      default -> false;
    };
  }

  /** Every local name declared or used by the body's lets and matmuls. */
  static Set<String> localNames(Stmt s) {
    Set<String> names = new HashSet<>();
    collectLocals(s, names);
    return names;
  }

  private static void collectLocals(Stmt s, Set<String> names) {
    switch (s) {
      case Stmt.For f -> collectLocals(f.body(), names);
      case Stmt.Block bl -> bl.stmts().forEach(x -> collectLocals(x, names));
      case Stmt.If i -> {
        collectLocals(i.then(), names);
        i.otherwise().ifPresent(x -> collectLocals(x, names));
      }
      case Stmt.Let l -> names.add(l.local().name());
      case Stmt.Matmul mm -> {
        names.add(mm.acc().name());
        mm.addends().forEach(x -> names.add(x.local().name()));
      }
      case Stmt.Attention at -> {
        collectLocals(at.scores(), names);
        collectLocals(at.output(), names);
      }
      default -> { }
    }
  }

  /** {@code s} with each matmul replaced by {@code f(matmul, the loops around it, outermost first)}. */
  static Stmt mapMatmuls(Stmt s, BiFunction<Stmt.Matmul, List<Stmt.For>, Stmt> f) {
    return mapMatmuls(s, new ArrayList<>(), f);
  }

  private static Stmt mapMatmuls(Stmt s, List<Stmt.For> loops,
      BiFunction<Stmt.Matmul, List<Stmt.For>, Stmt> f) {
    return switch (s) {
      case Stmt.For x -> {
        loops.add(x);
        Stmt body = mapMatmuls(x.body(), loops, f);
        loops.removeLast();
        yield x.withBody(body);
      }
      case Stmt.Block bl -> new Stmt.Block(bl.stmts().stream().map(x -> mapMatmuls(x, loops, f))
          .collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(i.condition(), mapMatmuls(i.then(), loops, f),
          i.otherwise().map(x -> mapMatmuls(x, loops, f)));
      case Stmt.Matmul mm -> f.apply(mm, List.copyOf(loops));
      default -> s;
    };
  }

  /** {@code e} with the local {@code l} replaced by {@code by}. */
  static Expr substitute(Expr e, Local l, Expr by) {
    return switch (e) {
      case Local x -> x.equals(l) ? by : x;
      case Expr.Binary x -> new Expr.Binary(x.op(), substitute(x.lhs(), l, by), substitute(x.rhs(), l, by));
      case Expr.Unary u -> new Expr.Unary(u.op(), substitute(u.operand(), l, by));
      case Expr.Call c -> new Expr.Call(c.fn(), c.args().stream().map(x -> substitute(x, l, by))
          .collect(ImmutableList.toImmutableList()));
      case Expr.Cast c -> new Expr.Cast(c.to(), substitute(c.operand(), l, by));
      case Expr.Select x -> new Expr.Select(substitute(x.condition(), l, by), substitute(x.ifTrue(), l, by),
          substitute(x.ifFalse(), l, by));
      default -> e;
    };
  }
}
