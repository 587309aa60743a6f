package dev.kiln.passes.fusion;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.passes.schedule.Affine;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Removes the {@code floordiv}/{@code floormod} that composing index maps leaves (a Reshape view
 * inlined into its reader: {@code g[floordiv(i1 * 256 + i2, 256), floormod(i1 * 256 + i2, 256)]}
 * over {@code i2 in 0..256} is {@code g[i1, i2]}), using the loops' extents: when the part of the
 * dividend not divisible by the divisor stays within {@code [0, divisor)}, the quotient and the
 * remainder split exactly. Plain indices are cheaper and let the loop vectorize (a lane variable
 * under a floormod is not unit-stride to the scheduler).
 */
final class IndexSimplifier {
  private IndexSimplifier() {}

  /** {@code s} with the indices of its loads and stores simplified. */
  static Stmt simplify(Stmt s) {
    return simplify(s, new HashMap<>());
  }

  private static Stmt simplify(Stmt s, Map<Var, Long> extents) {
    return switch (s) {
      case Stmt.For f -> {
        extents.put(f.var(), f.extent());
        Stmt body = simplify(f.body(), extents);
        extents.remove(f.var());
        yield f.withBody(body);
      }
      case Stmt.Block b -> new Stmt.Block(b.stmts().stream().map(x -> simplify(x, extents))
          .collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(expr(i.condition(), extents), simplify(i.then(), extents),
          i.otherwise().map(x -> simplify(x, extents)));
      case Stmt.Store st -> new Stmt.Store(st.buffer(), st.indices().stream().map(x -> index(x, extents))
          .collect(ImmutableList.toImmutableList()), expr(st.value(), extents));
      case Stmt.Let l -> new Stmt.Let(l.local(), expr(l.init(), extents));
      case Stmt.Assign a -> new Stmt.Assign(a.local(), expr(a.value(), extents));
      case Stmt.Matmul mm -> mm;
      case Stmt.BlockedConv bc -> bc;
      case Stmt.Attention at -> at;
    };
  }

  /** A value expression: only the indices of its loads change. */
  private static Expr expr(Expr e, Map<Var, Long> extents) {
    return switch (e) {
      case Expr.Load l -> new Expr.Load(l.buffer(), l.indices().stream().map(x -> index(x, extents))
          .collect(ImmutableList.toImmutableList()));
      case Expr.Binary b -> new Expr.Binary(b.op(), expr(b.lhs(), extents), expr(b.rhs(), extents));
      case Expr.Unary u -> new Expr.Unary(u.op(), expr(u.operand(), extents));
      case Expr.Call c -> new Expr.Call(c.fn(), c.args().stream().map(x -> expr(x, extents))
          .collect(ImmutableList.toImmutableList()));
      case Expr.Cast c -> new Expr.Cast(c.to(), expr(c.operand(), extents));
      case Expr.Select x -> new Expr.Select(expr(x.condition(), extents), expr(x.ifTrue(), extents),
          expr(x.ifFalse(), extents));
      default -> e;
    };
  }

  /** An index expression with each splittable floordiv and floormod by a constant removed. */
  static Expr index(Expr e, Map<Var, Long> extents) {
    if (!(e instanceof Expr.Binary b)) {
      return e;
    }
    Expr lhs = index(b.lhs(), extents);
    Expr rhs = index(b.rhs(), extents);
    if ((b.op() == BinaryOp.FLOOR_DIV || b.op() == BinaryOp.FLOOR_MOD)
        && rhs instanceof Expr.IntConst k && k.value() > 0) {
      Optional<Affine> form = Affine.ofVariables(lhs);
      if (form.isPresent() && extents.keySet().containsAll(form.get().terms().keySet())) {
        long constant = form.get().constant();
        long d = k.value();
        long low = Math.floorMod(constant, d);
        long high = low;
        Map<Expr, Long> quotient = new LinkedHashMap<>();
        Map<Expr, Long> remainder = new LinkedHashMap<>();
        for (Map.Entry<Expr, Long> t : form.get().terms().entrySet()) {
          long c = t.getValue();
          if (c % d == 0) {
            quotient.put(t.getKey(), c / d);
          } else {
            remainder.put(t.getKey(), c);
            long span = c * (extents.get(t.getKey()) - 1);
            low += Math.min(0, span);
            high += Math.max(0, span);
          }
        }
        if (low >= 0 && high < d) {
          return b.op() == BinaryOp.FLOOR_DIV
              ? build(quotient, Math.floorDiv(constant, d))
              : build(remainder, Math.floorMod(constant, d));
        }
      }
    }
    return new Expr.Binary(b.op(), lhs, rhs);
  }

  private static Expr build(Map<Expr, Long> terms, long constant) {
    Expr sum = null;
    for (Map.Entry<Expr, Long> t : terms.entrySet()) {
      Expr term = t.getValue() == 1 ? t.getKey() : Exprs.mul(t.getKey(), Exprs.index(t.getValue()));
      sum = sum == null ? term : Exprs.add(sum, term);
    }
    return sum == null ? Exprs.index(constant) : Exprs.add(sum, Exprs.index(constant));
  }
}
